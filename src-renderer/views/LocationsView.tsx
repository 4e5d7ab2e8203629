import { useState } from 'react';
import { useApp } from '../stores/app-store.js';
import { Field, FormError, useForm } from './form.js';

function LocationForm() {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [name, setName] = useState('');
  const [network, setNetwork] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [mfa, setMfa] = useState(false);
  const [threshold, setThreshold] = useState('300');
  return (
    <form
      className="card form"
      data-testid="location-form"
      onSubmit={(e) =>
        f.submit(e, async () => {
          await api.call('locations.create', { name, network, endpoint, mfa, disconnectThreshold: Number(threshold) });
          setName('');
          setNetwork('');
          setEndpoint('');
          await refresh();
        })
      }
    >
      <h3>Add a location</h3>
      <Field form={f} name="name" label="Name" testid="location-name" value={name} onChange={setName} placeholder="e.g. hq" />
      <Field form={f} name="network" label="Address pool" hint="CIDR, such as 10.10.0.0/24" testid="location-network" value={network} onChange={setNetwork} placeholder="e.g. 10.10.0.0/24" />
      <Field form={f} name="endpoint" label="Endpoint" hint="HOST[:PORT] that clients dial; port 51820 by default" testid="location-endpoint" value={endpoint} onChange={setEndpoint} placeholder="e.g. vpn.example.com" />
      <Field form={f} name="mfa" label="MFA">
        <input type="checkbox" data-testid="location-mfa" checked={mfa} onChange={(e) => setMfa(e.target.checked)} />
      </Field>
      {mfa ? (
        <Field form={f} name="disconnectThreshold" label="Disconnect threshold (s)" testid="location-threshold" value={threshold} onChange={setThreshold} inputMode="numeric" />
      ) : null}
      <FormError message={f.general} />
      <button type="submit" disabled={f.busy} data-testid="location-submit">
        {f.busy ? 'Creating…' : 'Create location'}
      </button>
    </form>
  );
}

export function LocationsView() {
  const locations = useApp((s) => s.locations);
  const go = useApp((s) => s.go);
  return (
    <section className="page">
      <h2>Locations</h2>
      {locations.length === 0 ? (
        <p className="empty">No locations yet. A location is one VPN network with its own address pool and gateways.</p>
      ) : (
        <table className="table" data-testid="locations-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Network</th>
              <th>Endpoint</th>
              <th>MFA</th>
              <th>Gateways</th>
              <th>Devices</th>
            </tr>
          </thead>
          <tbody>
            {locations.map((l) => (
              <tr key={l.name} data-testid={`location-row-${l.name}`} className="clickable" onClick={() => go({ kind: 'location', name: l.name })}>
                <td>
                  <a href={`#location/${encodeURIComponent(l.name)}`} onClick={(e) => e.preventDefault()}>
                    {l.name}
                  </a>
                </td>
                <td className="mono">{l.network}</td>
                <td className="mono">
                  {l.endpointHost}:{l.endpointPort}
                </td>
                <td>{l.mfa ? 'on' : 'off'}</td>
                <td>{l.gatewayCount}</td>
                <td>{l.deviceCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <LocationForm />
    </section>
  );
}
