import { Fragment, useCallback, useState } from 'react';
import type { Host, LinkState } from '../../src-main/contract/index.js';
import { useApp } from '../stores/app-store.js';
import { ConfirmButton } from './ConfirmButton.js';
import { ago } from './format.js';
import { usePolled } from './use-polled.js';
import { Field, FormError, useForm } from './form.js';
import { HostCheckDialog } from './HostCheckDialog.js';

function HostForm() {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [name, setName] = useState('');
  const [ssh, setSsh] = useState('');
  const [identityFile, setIdentityFile] = useState('');
  return (
    <form
      className="card form"
      data-testid="host-form"
      onSubmit={(e) =>
        f.submit(e, async () => {
          await api.call('hosts.create', { name, ssh, ...(identityFile.trim() ? { identityFile: identityFile.trim() } : {}) });
          setName('');
          setSsh('');
          setIdentityFile('');
          await refresh();
        })
      }
    >
      <h3>Add a host</h3>
      <Field form={f} name="name" label="Name" testid="host-name" value={name} onChange={setName} placeholder="e.g. gw-1" />
      <Field form={f} name="ssh" label="SSH" hint="USER@ADDRESS[:PORT]" testid="host-ssh" value={ssh} onChange={setSsh} placeholder="e.g. root@198.51.100.11" />
      <Field form={f} name="identityFile" label="Private key file (optional)" hint="Absolute path on the Bulwark machine; empty uses the ssh-agent" testid="host-identity" value={identityFile} onChange={setIdentityFile} mono />
      <FormError message={f.general} />
      <button type="submit" disabled={f.busy} data-testid="host-submit">
        Add host
      </button>
    </form>
  );
}

type Note = { kind: 'error' | 'info'; text: string };

function UninstallButton({ name, onDone }: { name: string; onDone: (p: Promise<Note>) => void }) {
  const api = useApp((s) => s.api)!;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (busy) return <button type="button" disabled>Uninstalling…</button>;
  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid={`host-uninstall-${name}`}>
        Uninstall
      </button>
    );
  }
  const uninstall = async (): Promise<Note> => {
    const r = await api.call('hosts.uninstall', { name });
    const units = r.units.length ? `stopped ${r.units.join(', ')}; ` : '';
    const roles = r.rolesRemoved.length ? ` It is no longer ${r.rolesRemoved.join(', ')}, so the next plan leaves it alone.` : '';
    const kept = r.rolesKept.map((k) => ` Still ${k.role}: ${k.message}.`).join('');
    return { kind: 'info', text: `Uninstalled from ${name}: ${units}removed ${r.removed.length} path${r.removed.length === 1 ? '' : 's'}.${roles}${kept}` };
  };
  return (
    <>
      <button
        type="button"
        className="danger"
        data-testid={`host-uninstall-confirm-${name}`}
        onClick={() => {
          setConfirming(false);
          setBusy(true);
          onDone(uninstall().finally(() => setBusy(false)));
        }}
      >
        Stop and remove Bulwark's agents from {name}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </>
  );
}

/** Whether Bulwark's agents are on the host (as the last apply left them) and each one's link to Core. */
function AgentsCell({ host, links }: { host: Host; links: LinkState[] | null }) {
  const mine = (links ?? []).filter((l) => l.host === host.name);
  return (
    <td data-testid={`host-agents-${host.name}`}>
      {host.lastApply ? <span title={host.lastApply}>applied {ago(host.lastApply)}</span> : <span className="muted">not installed</span>}
      {mine.map((l) => (
        <div key={l.agent} className="small">
          {l.role}: <span className={`link-state link-${l.state}`}>link {l.state}</span>
        </div>
      ))}
    </td>
  );
}

/** Remove asks first; a host that still runs the agents is uninstalled first, or forgotten if the machine is gone. */
function RemoveButton({ host, run }: { host: Host; run: (p: Promise<unknown>) => void }) {
  const api = useApp((s) => s.api)!;
  if (!host.lastApply) return <ConfirmButton label="Remove" question={`Remove host ${host.name}? Bulwark forgets it.`} confirm="Yes, remove" onConfirm={() => run(api.call('hosts.remove', { name: host.name }))} testid={`host-remove-${host.name}`} />;
  return (
    <ConfirmButton
      label="Remove"
      question={`${host.name} still runs Bulwark's agents: use Uninstall first. Only if the machine is gone for good, forget it as it is.`}
      confirm="Forget it anyway"
      onConfirm={() => run(api.call('hosts.remove', { name: host.name, force: true }))}
      testid={`host-remove-${host.name}`}
    />
  );
}

export function HostsView() {
  const hosts = useApp((s) => s.hosts);
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const [notes, setNotes] = useState<Record<string, Note>>({});
  const [checking, setChecking] = useState<string | null>(null);
  const closeCheck = useCallback(() => setChecking(null), []);
  // The answer (or error) of a row's action is shown under that row.
  const note = (name: string, p: Promise<Note | null>) => {
    setNotes(({ [name]: _, ...rest }) => rest);
    p.then((n) => {
      if (n) setNotes((all) => ({ ...all, [name]: n }));
      return refresh();
    }).catch((e: Error) => setNotes((all) => ({ ...all, [name]: { kind: 'error', text: e.message } })));
  };
  const run = (name: string, p: Promise<unknown>) => note(name, p.then(() => null));
  const links = usePolled(() => api.call('links.list', {}), 3000, [api]);
  return (
    <section className="page">
      <h2>Hosts</h2>
      {hosts.length === 0 ? (
        <p className="empty">No hosts yet. A host is a Linux machine that Bulwark reaches over SSH.</p>
      ) : (
        <table className="table" data-testid="hosts-table">
          <thead><tr><th>Host</th><th>Host key</th><th>Roles</th><th>Agents</th><th /></tr></thead>
          <tbody>
            {hosts.map((h) => (
              <Fragment key={h.name}>
                <tr data-testid={`host-row-${h.name}`}>
                  <td>
                    {h.name}
                    <div className="sub">
                      <span className="mono">{h.sshUser}@{h.sshAddress}:{h.sshPort}</span> · {h.auth.kind === 'key' ? h.auth.identityFile : 'ssh-agent'}
                    </div>
                  </td>
                  <td className="mono small key" data-testid={`host-key-${h.name}`}>{h.hostKeyFingerprint ?? 'not pinned yet'}</td>
                  <td>{h.roles.join(', ') || '—'}</td>
                  <AgentsCell host={h} links={links.value} />
                  <td className="actions">
                    <button type="button" onClick={() => setChecking(h.name)} data-testid={`host-check-${h.name}`}>
                      Check
                    </button>
                    {h.roles.includes('edge') ? (
                      <button type="button" onClick={() => run(h.name, api.call('edges.remove', { host: h.name }))}>Stop edge</button>
                    ) : (
                      <button type="button" onClick={() => run(h.name, api.call('edges.add', { host: h.name }))}>Make edge</button>
                    )}
                    {h.hostKeyFingerprint ? <UninstallButton name={h.name} onDone={(p) => note(h.name, p)} /> : null}
                    <RemoveButton host={h} run={(p) => run(h.name, p)} />
                  </td>
                </tr>
                {notes[h.name] ? (
                  <tr className="row-note">
                    <td colSpan={5} className={notes[h.name]!.kind === 'error' ? 'form-error' : 'ok-text'} role={notes[h.name]!.kind === 'error' ? 'alert' : 'status'} data-testid={`host-note-${h.name}`}>
                      {notes[h.name]!.text}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {checking ? <HostCheckDialog name={checking} onClose={closeCheck} /> : null}
      <HostForm />
    </section>
  );
}
