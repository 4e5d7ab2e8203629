// Hosts: the machines Bulwark reaches over SSH, each with its key, roles and agents, and its page.
import { Fragment, useCallback, useState } from 'react';
import { NavLink } from 'react-router';
import { pathOf } from '../../routes/routes.js';
import { useApp } from '../../stores/app-store.js';
import { usePolled } from '../use-polled.js';
import { Field, FormError, useForm } from '../form.js';
import { AgentsCell, RemoveButton, UninstallButton, type Note } from './HostActions.js';
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
                    <NavLink to={pathOf({ kind: 'host', name: h.name })} data-testid={`host-link-${h.name}`}>
                      {h.name}
                    </NavLink>
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
