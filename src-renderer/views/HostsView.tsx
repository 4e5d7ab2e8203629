import { useState } from 'react';
import { useApp } from '../stores/app-store.js';
import { Field, FormError, useForm } from './form.js';

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
      <Field label="Name" name="name" error={f.errors.name}>
        <input data-testid="host-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="gw-1" />
      </Field>
      <Field label="SSH" name="ssh" error={f.errors.ssh} hint="USER@ADDRESS[:PORT]">
        <input data-testid="host-ssh" value={ssh} onChange={(e) => setSsh(e.target.value)} placeholder="root@198.51.100.11" />
      </Field>
      <Field label="Private key file (optional)" name="identityFile" error={f.errors.identityFile} hint="Absolute path on the Bulwark machine; empty uses the ssh-agent">
        <input data-testid="host-identity" value={identityFile} onChange={(e) => setIdentityFile(e.target.value)} className="mono" />
      </Field>
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
  const [error, setError] = useState<string | null>(null);
  const run = (p: Promise<unknown>) => p.then(() => { setError(null); return refresh(); }).catch((e: Error) => setError(e.message));
  return (
    <section className="page">
      <h2>Hosts</h2>
      <FormError message={error} />
      {hosts.length === 0 ? (
        <p className="empty">No hosts yet. A host is a Linux machine that Bulwark reaches over SSH.</p>
      ) : (
        <table className="table" data-testid="hosts-table">
          <thead><tr><th>Name</th><th>SSH</th><th>Auth</th><th>Host key</th><th>Roles</th><th /></tr></thead>
          <tbody>
            {hosts.map((h) => (
              <tr key={h.name} data-testid={`host-row-${h.name}`}>
                <td>{h.name}</td>
                <td className="mono">{h.sshUser}@{h.sshAddress}:{h.sshPort}</td>
                <td>{h.auth.kind === 'key' ? h.auth.identityFile : 'ssh-agent'}</td>
                <td className="mono small">{h.hostKeyFingerprint ?? 'not pinned yet'}</td>
                <td>{h.roles.join(', ') || '—'}</td>
                <td className="actions">
                  {h.roles.includes('edge') ? (
                    <button type="button" onClick={() => run(api.call('edges.remove', { host: h.name }))}>Stop edge</button>
                  ) : (
                    <button type="button" onClick={() => run(api.call('edges.add', { host: h.name }))}>Make edge</button>
                  )}
                  <button type="button" className="danger" onClick={() => run(api.call('hosts.remove', { name: h.name }))}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <HostForm />
    </section>
  );
}
