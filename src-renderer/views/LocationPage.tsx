import { useState } from 'react';
import { useApp } from '../stores/app-store.js';
import { Field, FormError, useForm } from './form.js';

function DeviceForm({ location }: { location: string }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [config, setConfig] = useState<{ name: string; text: string; secret: boolean } | null>(null);
  return (
    <form
      className="card form"
      data-testid="device-form"
      onSubmit={(e) =>
        f.submit(e, async () => {
          const r = await api.call('devices.add', { location, name, ...(publicKey.trim() ? { publicKey: publicKey.trim() } : {}) });
          setConfig({ name: r.device.name, text: r.clientConfig, secret: r.containsPrivateKey });
          setName('');
          setPublicKey('');
          await refresh();
        })
      }
    >
      <h3>Add a device</h3>
      <Field label="Name" name="name" error={f.errors.name}>
        <input data-testid="device-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="anna-laptop" />
      </Field>
      <Field label="Public key (optional)" name="publicKey" error={f.errors.publicKey} hint="Leave empty and Bulwark makes the key pair">
        <input data-testid="device-pubkey" value={publicKey} onChange={(e) => setPublicKey(e.target.value)} className="mono" />
      </Field>
      <FormError message={f.general ?? f.errors.location ?? null} />
      <button type="submit" disabled={f.busy} data-testid="device-submit">
        {f.busy ? 'Adding…' : 'Add device'}
      </button>
      {config ? (
        <div className="config" data-testid="device-config">
          <p>
            Client config for <strong>{config.name}</strong>
            {config.secret ? ': save it now, the private key is shown once and not stored.' : '.'}
          </p>
          <pre>{config.text}</pre>
          <button type="button" onClick={() => setConfig(null)}>
            I saved it
          </button>
        </div>
      ) : null}
    </form>
  );
}

function GatewayForm({ location }: { location: string }) {
  const api = useApp((s) => s.api)!;
  const hosts = useApp((s) => s.hosts);
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [host, setHost] = useState('');
  const free = hosts.filter((h) => !h.roles.includes(`gateway:${location}`));
  if (hosts.length === 0) return <p className="empty">Add a host on the Hosts page, then make it a gateway here.</p>;
  return (
    <form className="inline-form" data-testid="gateway-form" onSubmit={(e) => f.submit(e, async () => { await api.call('gateways.add', { location, host }); await refresh(); })}>
      <Field label="Gateway setup: host" name="host" error={f.errors.host}>
        <select data-testid="gateway-host" value={host} onChange={(e) => setHost(e.target.value)}>
          <option value="">choose a host…</option>
          {free.map((h) => (
            <option key={h.name} value={h.name}>
              {h.name}
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" disabled={f.busy || !host}>
        Add gateway
      </button>
      <FormError message={f.general} />
    </form>
  );
}

export function LocationPage({ name }: { name: string }) {
  const location = useApp((s) => s.locations.find((l) => l.name === name));
  const detail = useApp((s) => (s.detail?.name === name ? s.detail : null));
  const edges = useApp((s) => s.edges);
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const go = useApp((s) => s.go);
  const [error, setError] = useState<string | null>(null);
  if (!location) return <section className="page"><p className="empty">Location {name} does not exist (any more).</p></section>;
  const run = (p: Promise<unknown>) => p.then(() => refresh()).catch((e: Error) => setError(e.message));
  return (
    <section className="page" data-testid="location-page">
      <button type="button" className="link" onClick={() => go({ kind: 'locations' })}>
        ← Locations
      </button>
      <h2 data-testid="location-title">{location.name}</h2>
      <dl className="facts">
        <dt>Network</dt>
        <dd className="mono" data-testid="location-network-value">{location.network}</dd>
        <dt>Gateway address</dt>
        <dd className="mono">{location.gatewayAddress}</dd>
        <dt>Endpoint</dt>
        <dd className="mono">{location.endpointHost}:{location.endpointPort}</dd>
        <dt>MFA</dt>
        <dd>{location.mfa ? `on, idle peers dropped after ${location.disconnectThreshold} s` : 'off'}</dd>
        <dt>Public key</dt>
        <dd className="mono">{location.publicKey}</dd>
      </dl>
      <FormError message={error} />

      <h3>Gateways</h3>
      {detail?.gateways.length ? (
        <table className="table" data-testid="gateways-table">
          <thead><tr><th>Host</th><th>SSH</th><th /></tr></thead>
          <tbody>
            {detail.gateways.map((g) => (
              <tr key={g.host}>
                <td>{g.host}</td>
                <td className="mono">{g.address}</td>
                <td><button type="button" className="danger" onClick={() => run(api.call('gateways.remove', { location: name, host: g.host }))}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="empty">No gateways yet.</p>
      )}
      <GatewayForm location={name} />

      <h3>Edges</h3>
      {edges.length ? (
        <ul className="chips">{edges.map((e) => <li key={e.host}>{e.host}</li>)}</ul>
      ) : (
        <p className="empty">No edges. Edges serve every location; add them on the Hosts page.</p>
      )}

      <h3>Devices</h3>
      {detail?.devices.length ? (
        <table className="table" data-testid="devices-table">
          <thead><tr><th>Name</th><th>Address</th><th>Public key</th><th /></tr></thead>
          <tbody>
            {detail.devices.map((d) => (
              <tr key={d.name} data-testid="device-row">
                <td>{d.name}</td>
                <td className="mono">{d.address}</td>
                <td className="mono small">{d.publicKey}</td>
                <td><button type="button" className="danger" onClick={() => run(api.call('devices.remove', { location: name, name: d.name }))}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="empty">No devices yet.</p>
      )}
      <DeviceForm location={name} />
    </section>
  );
}
