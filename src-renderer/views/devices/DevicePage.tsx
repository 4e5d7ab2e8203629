// One device's page (/locations/L/devices/NAME): its address and whole key, whether it is
// enabled, its tunnel as the gateways report it (every 2 s), its MFA session, and what can be
// done to it. Removing it returns to its location.
import { useState } from 'react';
import { NavLink } from 'react-router';
import type { DeviceSearchRow } from '../../../src-main/contract/index.js';
import { pathOf } from '../../routes/routes.js';
import { useApp } from '../../stores/app-store.js';
import { FormError } from '../form.js';
import { ago, bytes } from '../format.js';
import { usePolled } from '../use-polled.js';
import { ClientConfigDialog, type ClientConfig } from './ClientConfigDialog.js';
import { DeviceActions, SessionCell } from './DeviceControls.js';

function Tunnel({ d }: { d: DeviceSearchRow }) {
  return (
    <dl className="facts" data-testid="device-tunnel">
      <dt>Last handshake</dt>
      <dd data-testid="device-page-handshake" title={d.latestHandshake ?? undefined}>{d.enabled ? ago(d.latestHandshake) : 'none: it is disabled'}</dd>
      <dt>From</dt>
      <dd className="mono">{d.endpoint ?? '-'}</dd>
      <dt>Through gateway</dt>
      <dd>{d.gateway ?? '-'}</dd>
      <dt>Received / sent</dt>
      <dd>{`${bytes(d.rxBytes)} / ${bytes(d.txBytes)}`}</dd>
    </dl>
  );
}

export function DevicePage({ location, name }: { location: string; name: string }) {
  const api = useApp((s) => s.api)!;
  const go = useApp((s) => s.go);
  const mfa = useApp((s) => s.locations.find((l) => l.name === location)?.mfa ?? false);
  const [config, setConfig] = useState<ClientConfig | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Counters change every 2 s without an event; the page reads them as the location page does.
  const device = usePolled(() => api.call('devices.get', { location, name }), 2000, [api, location, name]);
  // After a removal the page is left, and not read again (the device is gone).
  const removing = { start: device.hold, done: () => go({ kind: 'location', name: location }), failed: device.release };
  const run = (p: Promise<unknown>) =>
    p.then(
      () => {
        setError(null);
        device.reload();
      },
      (e: Error) => setError(e.message),
    );
  const d = device.value;
  return (
    <section className="page" data-testid="device-page">
      <NavLink to={pathOf({ kind: 'location', name: location })} className="back">
        ← {location}
      </NavLink>
      <h2 data-testid="device-title">
        {name}
        {d && !d.enabled ? <span className="state-badge" data-testid="device-disabled">disabled</span> : null}
      </h2>
      {device.error && !d ? <p className="form-error" role="alert" data-testid="device-page-error">{device.error}</p> : null}
      {d ? (
        <>
          <dl className="facts" data-testid="device-facts">
            <dt>Location</dt>
            <dd>{location}</dd>
            <dt>Address</dt>
            <dd className="mono" data-testid="device-page-address">{d.address}</dd>
            <dt>Public key</dt>
            <dd className="mono" data-testid="device-page-key">{d.publicKey}</dd>
            <dt>State</dt>
            <dd data-testid="device-page-state">{d.enabled ? 'enabled' : 'disabled: no peer on any gateway until enabled'}</dd>
            <dt>Added</dt>
            <dd title={d.createdAt}>{new Date(d.createdAt).toLocaleString()}</dd>
          </dl>
          <h3>Tunnel</h3>
          <Tunnel d={d} />
          {mfa && d.enabled ? (
            <table className="table">
              <tbody>
                <tr>
                  <th>MFA session</th>
                  <SessionCell location={location} device={name} session={d.session} run={run} />
                </tr>
              </tbody>
            </table>
          ) : null}
          <div className="actions host-page-actions">
            <DeviceActions d={d} run={run} onConfig={setConfig} removing={removing} />
          </div>
        </>
      ) : device.error ? null : (
        <p className="muted">Loading…</p>
      )}
      <FormError message={error} />
      {config ? <ClientConfigDialog config={config} onClose={() => setConfig(null)} /> : null}
    </section>
  );
}
