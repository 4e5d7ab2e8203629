// A location's devices: the table (live handshake, traffic, the gateway it came through, its MFA
// session), a new config for one (a new key pair), removal, the invite panel and the add form.
// A config, new or re-issued, opens in ClientConfigDialog. Only LocationPage imports it.
import { useState } from 'react';
import type { Device, Location, LocationStatus } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { ConfirmButton } from '../ConfirmButton.js';
import { Field, FormError, useForm } from '../form.js';
import { age, ago, bytes } from '../format.js';
import { InvitePanel } from '../InvitePanel.js';
import { ClientConfigDialog, type ClientConfig } from './ClientConfigDialog.js';

type DeviceStatus = LocationStatus['devices'][number];

/** MFA: the device's session (its peer is on the gateways only with one), with the admin's start/end. */
function SessionCell({ location, device, session, run }: { location: string; device: string; session: DeviceStatus['session'] | undefined; run: (p: Promise<unknown>) => Promise<unknown> }) {
  const api = useApp((s) => s.api)!;
  if (session === undefined) return <td className="muted" data-testid="device-session">…</td>;
  return (
    <td data-testid="device-session">
      {session ? (
        <>
          <span className="ok-text" title={`session ${session.id}, started by ${session.startedBy}`}>active for {age(session.startedAt)}</span>{' '}
          <button type="button" className="link" data-testid="session-end" onClick={() => run(api.call('sessions.end', { location, device }))}>End</button>
        </>
      ) : (
        <>
          <span className="muted" title="its peer is on the gateways only once its user passes MFA">waiting for MFA</span>{' '}
          <button type="button" className="link" data-testid="session-start" title="Authorise the device as if its user had passed MFA" onClick={() => run(api.call('sessions.start', { location, device }))}>Start</button>
        </>
      )}
    </td>
  );
}

function DeviceForm({ location, gateways, onConfig }: { location: string; gateways: number; onConfig: (c: ClientConfig) => void }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  return (
    <form
      className="card form"
      data-testid="device-form"
      onSubmit={(e) =>
        f.submit(e, async () => {
          const r = await api.call('devices.add', { location, name, ...(publicKey.trim() ? { publicKey: publicKey.trim() } : {}) });
          onConfig({ location, device: r.device.name, text: r.clientConfig, secret: r.containsPrivateKey });
          setName('');
          setPublicKey('');
          await refresh();
        })
      }
    >
      <h3>Add a device</h3>
      {gateways === 0 ? (
        <p className="note" data-testid="device-no-gateway">
          This location has no gateway yet: a device added now connects once a gateway is added and applied.
        </p>
      ) : null}
      <Field form={f} name="name" label="Name" testid="device-name" value={name} onChange={setName} placeholder="e.g. anna-laptop" />
      <Field form={f} name="publicKey" label="Public key (optional)" hint="Leave empty and Bulwark makes the key pair" testid="device-pubkey" value={publicKey} onChange={setPublicKey} mono />
      <FormError message={f.general ?? f.errors.location ?? null} />
      <button type="submit" disabled={f.busy} data-testid="device-submit">
        {f.busy ? 'Adding…' : 'Add device'}
      </button>
    </form>
  );
}

export function DevicesSection({ location, devices, gateways, live, run }: { location: Location; devices: Device[] | null; gateways: number; live: LocationStatus | null; run: (p: Promise<unknown>) => Promise<unknown> }) {
  const api = useApp((s) => s.api)!;
  const name = location.name;
  const [config, setConfig] = useState<ClientConfig | null>(null);
  return (
    <>
      {devices?.length ? (
        <table className="table live-table" data-testid="devices-table">
          <thead><tr><th>Device</th><th>Last handshake</th><th className="num">Rx / Tx</th>{location.mfa ? <th>MFA session</th> : null}<th /></tr></thead>
          <tbody>
            {devices.map((d) => {
              const st = live?.devices.find((x) => x.name === d.name);
              return (
                <tr key={d.name} data-testid="device-row" data-device={d.name}>
                  {/* Name, then its address and the start of its key (all of it in the tooltip and "bulwark device list"). */}
                  <td>
                    {d.name}
                    <div className="sub mono">
                      {d.address} · <span title={d.publicKey} data-testid="device-key">{d.publicKey.slice(0, 8)}…</span>
                    </div>
                  </td>
                  {/* When, from where, and through which gateway (only once it came through one). */}
                  <td>
                    <span data-testid="device-handshake" title={st?.latestHandshake ?? undefined}>{st ? ago(st.latestHandshake) : '…'}</span>
                    {st?.latestHandshake ? (
                      <div className="sub">
                        from <span className="mono" data-testid="device-endpoint">{st.endpoint ?? '-'}</span> via <span data-testid="device-via">{st.gateway ?? '-'}</span>
                      </div>
                    ) : (
                      <>
                        <span hidden data-testid="device-endpoint">-</span>
                        <span hidden data-testid="device-via">-</span>
                      </>
                    )}
                  </td>
                  <td className="num" data-testid="device-traffic">{st ? `${bytes(st.rxBytes)} / ${bytes(st.txBytes)}` : '-'}</td>
                  {location.mfa ? <SessionCell location={name} device={d.name} session={st ? st.session : undefined} run={run} /> : null}
                  <td className="actions">
                    <ConfirmButton
                      label="New config"
                      danger={false}
                      question={`A new key pair for ${d.name}? Its current config stops working.`}
                      confirm="Yes, new config"
                      onConfirm={() => run(api.call('devices.config', { location: name, name: d.name }).then((r) => setConfig({ location: name, device: d.name, text: r.clientConfig, secret: r.containsPrivateKey })))}
                      testid={`device-reissue-${d.name}`}
                    />
                    <ConfirmButton label="Remove" question={`Remove ${d.name}? It is cut off at once.`} confirm="Yes, remove" onConfirm={() => run(api.call('devices.remove', { location: name, name: d.name }))} testid={`device-remove-${d.name}`} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <p className="empty">No devices yet.</p>
      )}
      {config ? <ClientConfigDialog config={config} onClose={() => setConfig(null)} /> : null}
      <div className="cards">
        <InvitePanel location={name} mfa={location.mfa} />
        <DeviceForm location={name} gateways={gateways} onConfig={setConfig} />
      </div>
    </>
  );
}
