// Invites of one location: make a one-time enrollment link (shown once, with a copy button),
// and see or revoke the open ones. The person who gets the link makes the device in their
// browser; its private key never reaches Bulwark.
import { useState } from 'react';
import { useApp } from '../stores/app-store.js';
import { Field, FormError, useForm } from './form.js';
import { usePolled } from './use-polled.js';

export function InvitePanel({ location, mfa }: { location: string; mfa: boolean }) {
  const api = useApp((s) => s.api)!;
  const f = useForm();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('24h');
  const [made, setMade] = useState<{ device: string; url: string; expiresAt: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const open = usePolled(() => api.call('invites.list', { location, all: false }), 5000, [api, location]);
  return (
    <div className="card form" data-testid="invite-panel">
      <h3>Invite a device</h3>
      <p className="muted">
        A one-time link the user opens in a browser: it makes the device's keys there{mfa ? ', sets up their authenticator app,' : ''} and gives them the config. The private key never reaches Bulwark.
      </p>
      <form
        onSubmit={(e) =>
          f.submit(e, async () => {
            const r = await api.call('invites.create', { location, name, expires });
            setMade({ device: r.invite.device, url: r.url, expiresAt: r.invite.expiresAt });
            setCopied(false);
            setName('');
            open.reload();
          })
        }
      >
        <Field form={f} name="name" label="Device name" testid="invite-name" value={name} onChange={setName} placeholder="e.g. anna-phone" />
        <Field form={f} name="expires" label="Valid for" hint="e.g. 30m, 24h, 7d" testid="invite-expires" value={expires} onChange={setExpires} />
        <FormError message={f.general ?? f.errors.location ?? null} />
        <button type="submit" disabled={f.busy} data-testid="invite-submit">
          {f.busy ? 'Making…' : 'Make invite link'}
        </button>
      </form>
      {made ? (
        <div className="config" data-testid="invite-link" role="status">
          <p>
            Link for <strong>{made.device}</strong>, valid until {made.expiresAt}. Send it privately: it works once, and Bulwark keeps only its hash, so it cannot be shown again.
          </p>
          <p className="mono invite-url" data-testid="invite-url">{made.url}</p>
          <button
            type="button"
            onClick={() =>
              navigator.clipboard.writeText(made.url).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? 'Copied' : 'Copy link'}
          </button>{' '}
          <button type="button" onClick={() => setMade(null)}>Done</button>
        </div>
      ) : null}
      {open.error ? <p className="form-error">Open invites unavailable: {open.error}</p> : null}
      {open.value && open.value.length > 0 ? (
        <table className="table" data-testid="invites-table">
          <thead><tr><th>Device</th><th>Expires</th><th>By</th><th /></tr></thead>
          <tbody>
            {open.value.map((i) => (
              <tr key={i.id} data-testid="invite-row">
                <td>{i.device}</td>
                <td>{i.expiresAt}</td>
                <td>{i.createdBy}</td>
                <td>
                  <button type="button" className="danger" onClick={() => void api.call('invites.revoke', { id: i.id }).then(open.reload, open.reload)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
