// The offline bundle of a host (on its page) or of each host of a location: what it is, the
// fingerprint of Core's signing key a first install expects, the options, and what to run on
// the host once it is saved. The archive is saved at once (a download, or the desktop's save
// dialog): Core keeps it for one fetch only.
import { useState } from 'react';
import type { BundleExportOutput, Host } from '../../../src-main/contract/index.js';
import { formatBytes } from '../../../src-main/text/bytes.js';
import { useApp } from '../../stores/app-store.js';
import { usePolled } from '../use-polled.js';
import { ConfirmButton } from '../ConfirmButton.js';
import { Field, FormError, useForm } from '../form.js';

export function BundleExport({ scope }: { scope: { host: Host } | { location: string } }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const key = usePolled(() => api.call('bundles.signingKey', {}), 60_000, [api]);
  const f = useForm();
  const [withPackages, setWithPackages] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const [days, setDays] = useState('30');
  const [os, setOs] = useState('debian-12');
  const [arch, setArch] = useState('x86_64');
  const [rotateError, setRotateError] = useState<string | null>(null);
  const [done, setDone] = useState<{ out: BundleExportOutput; saved: (string | null)[] } | null>(null);
  const host = 'host' in scope ? scope.host : null;
  // A host Core never checked: its platform must be given (host check records it otherwise).
  const askPlatform = host !== null && host.platform === null;
  const run = async () => {
    setDone(null);
    const out = await api.call('bundles.export', {
      ...(host ? { host: host.name } : { location: (scope as { location: string }).location }),
      withPackages,
      upgrade: false,
      validDays: Number(days),
      ...(passphrase ? { passphrase } : {}),
      ...(askPlatform ? { os, arch } : {}),
    });
    const saved: (string | null)[] = [];
    for (const b of out.bundles) saved.push(await api.saveDownload('bundles', b.id, b.fileName));
    setDone({ out, saved });
    setPassphrase('');
    // The host's platform, if given here, is now recorded.
    await refresh();
  };
  return (
    <form className="card form" data-testid="bundle-export" onSubmit={(e) => f.submit(e, run)}>
      <h3>Offline bundle</h3>
      <p className="muted">
        Everything an apply would install on {host ? host.name : `each host of ${(scope as { location: string }).location}`}, in one signed archive, for a host that Core cannot reach over SSH
        or that has no network. A first install on the host expects Core's signing key:
      </p>
      <div className="bundle-key-row">
        <span className="mono" data-testid="bundle-key">{key.value?.fingerprint ?? '…'}</span>{' '}
        <ConfirmButton
          label="Rotate key"
          danger={false}
          question="Replace Core's signing key? Hosts that pinned it follow with their next bundle (the old key signs the new one); a first install then expects the new fingerprint."
          confirm="Yes, rotate"
          onConfirm={() => {
            setRotateError(null);
            api.call('bundles.rotateKey', {}).then(key.reload, (e: Error) => setRotateError(e.message));
          }}
          testid="bundle-key-rotate"
        />
      </div>
      {key.value?.rotations.length ? (
        <p className="muted small" data-testid="bundle-key-rotations">
          Rotated {key.value.rotations.length} time{key.value.rotations.length === 1 ? '' : 's'}, last {new Date(key.value.rotations.at(-1)!.rotatedAt).toLocaleString()} (from {key.value.rotations.at(-1)!.from}).
        </p>
      ) : null}
      <FormError message={rotateError} testid="bundle-key-error" />
      <label className="check">
        <input type="checkbox" checked={withPackages} onChange={(e) => setWithPackages(e.target.checked)} data-testid="bundle-packages" /> Add the Debian packages the host needs (WireGuard, keepalived, nginx, HAProxy as its roles need), with their dependencies
      </label>
      <Field form={f} name="passphrase" label="Passphrase (optional)" hint="Seals the private keys inside, so the archive can travel on a USB stick; at least 12 characters">
        <input type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} data-testid="bundle-passphrase" />
      </Field>
      <Field form={f} name="validDays" label="Installable for (days)" hint="1 to 365" testid="bundle-days" value={days} onChange={setDays} inputMode="numeric" />
      {askPlatform ? (
        <>
          <Field form={f} name="os" label="Host's OS release" hint="ID-VERSION_ID of its /etc/os-release; Core has not checked this host" testid="bundle-os" value={os} onChange={setOs} mono />
          <Field form={f} name="arch" label="Host's architecture" hint="as uname -m prints it" testid="bundle-arch" value={arch} onChange={setArch} mono />
        </>
      ) : null}
      <FormError message={f.general ?? f.errors.host ?? f.errors.location ?? f.errors.withPackages ?? (askPlatform ? null : (f.errors.os ?? f.errors.arch)) ?? null} />
      <button type="submit" disabled={f.busy} data-testid="bundle-submit">
        {f.busy ? 'Making the bundle…' : 'Export bundle'}
      </button>
      {done ? (
        <div role="status" data-testid="bundle-done">
          {done.out.bundles.map((b, i) => (
            <div key={b.id} className="bundle-result">
              <p>
                <strong>{done.saved[i] ?? 'Not saved'}</strong>{done.saved[i] ? ` (${formatBytes(b.size)}, ${b.files} files${b.packages.length ? `, ${b.packages.length} packages` : ''}), for ${b.host}, installable until ${new Date(b.notAfter).toLocaleDateString()}.` : ': export it again to save it.'}
              </p>
              <p className="note">
                It holds {b.host}'s private keys{b.encrypted ? ', sealed with your passphrase' : ''}: keep it as you keep them, and delete it once installed.
              </p>
              <p>On {b.host}, as root:</p>
              <pre className="mono" data-testid="bundle-commands">{`tar xzf ${b.fileName}\n./${b.directory}/install --expect-key ${done.out.signingKey}${b.encrypted ? ' --passphrase-file FILE' : ''}`}</pre>
              <p className="muted">
                Before a first install, <span className="mono">sha256sum {b.directory}/install</span> there must print <span className="mono">{b.installerSha256}</span>.
              </p>
            </div>
          ))}
          {done.out.warnings.map((w) => (
            <p key={w} className="muted">{w}</p>
          ))}
        </div>
      ) : null}
    </form>
  );
}
