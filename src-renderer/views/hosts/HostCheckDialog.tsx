// First contact with a host: show the key it presents and its facts, let the admin compare the
// fingerprint with the host's console, then pin it. A changed key is shown as a possible attack;
// re-pinning it needs an explicit confirmation.
import { useEffect, useState } from 'react';
import { BulwarkError, type ProcOutput } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { FormError } from '../form.js';

type CheckResult = ProcOutput<'hosts.check'>;

type Phase =
  | { kind: 'checking' }
  | { kind: 'checked'; result: CheckResult; justPinned: boolean }
  | { kind: 'changed'; message: string; presented: string | null }
  | { kind: 'failed'; message: string };

const CONSOLE_COMMAND = 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub';


const PRIVILEGES: Record<CheckResult['facts']['privileges'], string> = {
  root: 'root',
  sudo: 'passwordless sudo',
  none: 'none: not root and no passwordless sudo',
};

function Facts({ result }: { result: CheckResult }) {
  return (
    <dl className="facts">
      <dt>Host key</dt>
      <dd className="mono" data-testid="check-fingerprint">{result.fingerprint}</dd>
      <dt>OS</dt>
      <dd data-testid="check-os">{result.facts.os}</dd>
      <dt>Architecture</dt>
      <dd data-testid="check-arch">{result.facts.arch}</dd>
      <dt>Privileges</dt>
      <dd data-testid="check-privileges">{PRIVILEGES[result.facts.privileges]}</dd>
    </dl>
  );
}

function CompareHint() {
  return (
    <div className="hint-box" data-testid="check-instructions">
      <p>
        Before you accept, make sure this is the host's own key and not that of someone between Bulwark and the host. On the host's console (not over
        this network), run:
      </p>
      <pre className="mono">{CONSOLE_COMMAND}</pre>
      <p>and compare the <code>SHA256:…</code> value it prints with the key above. Trust the key only if they are the same.</p>
    </div>
  );
}

export function HostCheckDialog({ name, onClose }: { name: string; onClose: () => void }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirmed, setConfirmed] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setPhase({ kind: 'checking' });
    api
      .call('hosts.check', { name })
      .then((result) => current && setPhase({ kind: 'checked', result, justPinned: false }))
      .catch((err: unknown) => {
        if (!current) return;
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof BulwarkError && err.code === 'host_key_changed') setPhase({ kind: 'changed', message, presented: err.details?.presented ?? null });
        else setPhase({ kind: 'failed', message });
      });
    return () => {
      current = false;
    };
  }, [api, name, attempt]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const pin = (accept: string, repin: boolean) => {
    setBusy(true);
    setActionError(null);
    api
      .call('hosts.check', { name, accept, repin })
      .then(async (result) => {
        setPhase({ kind: 'checked', result, justPinned: true });
        await refresh();
      })
      .catch((err: Error) => setActionError(err.message))
      .finally(() => setBusy(false));
  };

  return (
    <div className="dialog-backdrop">
      <div className="dialog card" role="dialog" aria-modal="true" aria-labelledby="host-check-title" data-testid="host-check-dialog">
        <h3 id="host-check-title">Check host {name}</h3>
        {phase.kind === 'checking' ? (
          <p className="empty" data-testid="check-busy">Connecting to {name}…</p>
        ) : phase.kind === 'checked' ? (
          <>
            <Facts result={phase.result} />
            {phase.result.facts.privileges === 'none' ? (
              <p className="warning-text">Bulwark can pin this key, but cannot install anything on this host until the SSH user is root or has passwordless sudo.</p>
            ) : null}
            {phase.result.pinned ? (
              <p className="ok-text" data-testid="check-pinned">
                {phase.justPinned ? 'Pinned.' : 'This is the pinned key.'} Bulwark refuses this host if its key ever changes.
              </p>
            ) : (
              <>
                <CompareHint />
                <div className="actions">
                  <button type="button" className="primary" disabled={busy} onClick={() => pin(phase.result.fingerprint, false)} data-testid="check-accept">
                    {busy ? 'Pinning…' : 'Accept and pin'}
                  </button>
                </div>
                <FormError message={actionError} testid="check-accept-error" />
              </>
            )}
          </>
        ) : phase.kind === 'changed' ? (
          <>
            <div className="alert" role="alert" data-testid="check-key-changed">
              <strong>The host key of {name} changed. Nothing was run on it.</strong>
              <p data-testid="check-key-changed-message">{phase.message}</p>
            </div>
            {phase.presented ? (
              <div className="repin">
                <p>
                  The host now presents <span className="mono" data-testid="check-new-fingerprint">{phase.presented}</span>.
                </p>
                <CompareHint />
                <label className="confirm">
                  <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} data-testid="check-repin-confirm" />
                  I know {name} was reinstalled, and the fingerprint on its console is the same as this one.
                </label>
                <div className="actions">
                  <button type="button" className="danger" disabled={!confirmed || busy} onClick={() => pin(phase.presented!, true)} data-testid="check-repin">
                    {busy ? 'Re-pinning…' : 'Re-pin to the new key'}
                  </button>
                </div>
                <FormError message={actionError} testid="check-repin-error" />
              </div>
            ) : null}
          </>
        ) : (
          <>
            <FormError message={phase.message} testid="check-error" />
            <div className="actions">
              <button type="button" onClick={() => setAttempt((n) => n + 1)} data-testid="check-retry">
                Try again
              </button>
            </div>
          </>
        )}
        <div className="dialog-footer">
          <button type="button" onClick={onClose} data-testid="check-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
