import { useEffect, useState } from 'react';
import type { Host, Location, LocationStatus } from '../../src-main/contract/index.js';
import { ConfirmButton } from './ConfirmButton.js';
import { DevicesSection } from './devices/DevicesSection.js';
import { BundleExport } from './hosts/BundleExport.js';
import { LocationSettings } from './LocationSettings.js';
import { useApp } from '../stores/app-store.js';
import { useLocationStatus } from '../stores/location-status-store.js';
import { age } from './format.js';
import { Field, FormError, useForm } from './form.js';
import { EdgesPanel } from './EdgesPanel.js';

type GatewayStatus = LocationStatus['gateways'][number];

function LinkCell({ g }: { g: GatewayStatus | undefined }) {
  if (!g) return <td className="muted" data-testid="gateway-link">…</td>;
  return (
    <td data-testid="gateway-link">
      <span className={`link-state link-${g.link}`}>{g.link}</span>
      {g.since ? <span className="muted" title={g.since}> for {age(g.since)}</span> : null}
    </td>
  );
}

function HealthCell({ healthy }: { healthy: boolean | null | undefined }) {
  if (healthy === true) return <td className="ok-text" data-testid="gateway-health">healthy</td>;
  if (healthy === false) return <td className="danger-text" data-testid="gateway-health">UNHEALTHY</td>;
  return <td className="muted" data-testid="gateway-health">-</td>;
}



/** Where the floating IP must lie: the gateways' LAN as their host checks saw it. */
function vipHint(hosts: Host[], location: string): string {
  const lans = hosts.filter((h) => h.roles.includes(`gateway:${location}`)).map((h) => (h.lan ? `${h.name} is ${h.lan.address} on ${h.lan.interface}` : `${h.name}'s is not known yet (check it on the Hosts page)`));
  return lans.length ? `An unused address on the gateways' LAN, with its prefix: ${lans.join('; ')}` : 'An unused address on the gateways\' LAN, with its prefix';
}

/** How the gateways share the clients; stored now, applied by the next provisioning. */
function FailoverForm({ location }: { location: Location }) {
  const api = useApp((s) => s.api)!;
  const hosts = useApp((s) => s.hosts);
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const cur = location.failover;
  const [mode, setMode] = useState<'none' | 'vrrp' | 'lb'>(cur.mode);
  const [vip, setVip] = useState(cur.vip ?? '');
  const [advert, setAdvert] = useState(cur.advertInterval === null ? '' : String(cur.advertInterval));
  const [unicast, setUnicast] = useState(cur.unicast);
  const [lbHost, setLbHost] = useState(cur.lbHost ?? '');
  const [lbFailback, setLbFailback] = useState<'auto' | 'manual'>(cur.lbFailback ?? 'auto');
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="card form"
      data-testid="failover-form"
      onSubmit={(e) =>
        f.submit(e, async () => {
          setSaved(false);
          await api.call('locations.setFailover', {
            name: location.name,
            mode,
            ...(mode === 'vrrp' ? { vip, unicast, ...(advert.trim() ? { advertInterval: Number(advert) } : {}) } : {}),
            ...(mode === 'lb' ? { lbHost, lbFailback } : {}),
          });
          setSaved(true);
          await refresh();
        })
      }
    >
      <h3>Failover</h3>
      <Field form={f} name="mode" label="Mode">
        <select data-testid="failover-mode" value={mode} onChange={(e) => setMode(e.target.value as 'none' | 'vrrp' | 'lb')}>
          <option value="none">none</option>
          <option value="vrrp">vrrp: a floating IP (keepalived)</option>
          <option value="lb">lb: a UDP load balancer</option>
        </select>
      </Field>
      {mode === 'vrrp' ? (
        <>
          <Field form={f} name="vip" label="Floating IP" hint={vipHint(hosts, location.name)} testid="failover-vip" value={vip} onChange={setVip} mono />
          <Field form={f} name="advertInterval" label="Advert interval (s)" hint="0.01 to 255; 0.1 by default" testid="failover-advert" value={advert} onChange={setAdvert} placeholder="e.g. 0.1" />
          <Field form={f} name="unicast" label="Unicast adverts" hint="For networks without multicast">
            <input type="checkbox" checked={unicast} onChange={(e) => setUnicast(e.target.checked)} />
          </Field>
        </>
      ) : null}
      {mode === 'lb' ? (
        <Field form={f} name="lbHost" label="Load balancer host">
          <select data-testid="failover-lb-host" value={lbHost} onChange={(e) => setLbHost(e.target.value)}>
            <option value="">choose a host…</option>
            {hosts.map((h) => (
              <option key={h.name} value={h.name}>
                {h.name}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {mode === 'lb' ? (
        <Field form={f} name="lbFailback" label="Failback">
          <select data-testid="failover-lb-failback" value={lbFailback} onChange={(e) => setLbFailback(e.target.value as 'auto' | 'manual')}>
            <option value="auto">auto: a recovered gateway returns by itself (its former clients move back)</option>
            <option value="manual">manual: it waits until you release it</option>
          </select>
        </Field>
      ) : null}
      <FormError message={f.general ?? f.errors.routerId ?? f.errors.name ?? null} />
      <button type="submit" disabled={f.busy} data-testid="failover-submit">
        {f.busy ? 'Saving…' : 'Save failover'}
      </button>
      {saved ? <p className="muted" data-testid="failover-saved">Saved. Run Provisioning → Plan, Apply to put it on the hosts.</p> : null}
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
      <Field form={f} name="host" label="Gateway setup: host">
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
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const go = useApp((s) => s.go);
  const live = useLocationStatus((s) => (s.name === name && s.status?.location === name ? s.status : null));
  const liveError = useLocationStatus((s) => (s.name === name ? s.error : null));
  const [error, setError] = useState<string | null>(null);
  // Poll while the page is open: the gateways' counters change without an event.
  useEffect(() => useLocationStatus.getState().watch(name), [name]);
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
      <LocationSettings key={location.name} location={location} />

      <h3>Gateways</h3>
      {liveError ? <p className="form-error" data-testid="status-error">Live status unavailable: {liveError}</p> : null}
      {detail?.gateways.length ? (
        <table className="table" data-testid="gateways-table">
          <thead><tr><th>Host</th><th>SSH</th><th>Link</th><th>Health</th><th>WireGuard</th><th className="num">Peers</th>{location.failover.mode === 'vrrp' ? <th>VRRP</th> : null}{location.failover.mode === 'lb' ? <th>Load balancer</th> : null}<th /></tr></thead>
          {detail.gateways.map((g) => {
            const st = live?.gateways.find((x) => x.host === g.host);
            return (
              <tbody key={g.host} data-testid="gateway-row" data-host={g.host}>
                <tr>
                  <td>{g.host}</td>
                  <td className="mono">{g.address}</td>
                  <LinkCell g={st} />
                  <HealthCell healthy={st?.healthy} />
                  <td data-testid="gateway-mode">{st?.wireguardMode ?? '-'}</td>
                  <td className="num" data-testid="gateway-peers">{st?.peers ?? '-'}</td>
                  {location.failover.mode === 'vrrp' ? (
                    <td data-testid="gateway-vrrp">{st?.vrrp ? `${st.vrrp.role ?? 'starting'}${st.vrrp.holdsVip ? ', holds the floating IP' : ''}` : '-'}</td>
                  ) : null}
                  {location.failover.mode === 'lb' ? (
                    <td data-testid="gateway-lb" className={st?.lb && !st.lb.inRotation ? 'link-down' : undefined} title={st?.lb?.reason ?? undefined}>
                      {st?.lb ? `${st.lb.inRotation ? 'in rotation' : st.lb.healthy ? 'held out (healthy)' : 'out of rotation'}${st.lb.healthy === false ? ', check fails' : ''}` : '-'}
                      {st?.lb && !st.lb.inRotation && st.lb.healthy && location.failover.lbFailback === 'manual' ? (
                        <button type="button" data-testid="gateway-lb-release" onClick={() => run(api.call('locations.lbRelease', { name, gateway: g.host }))}>
                          Release
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                  <td>
                    <ConfirmButton label="Remove" question={`Remove gateway ${g.host} from ${name}? The next apply stops it serving here.`} confirm="Yes, remove" onConfirm={() => run(api.call('gateways.remove', { location: name, host: g.host }))} testid={`gateway-remove-${g.host}`} />
                  </td>
                </tr>
                {st && st.link !== 'up' && st.reason ? (
                  <tr className="row-note">
                    <td colSpan={location.failover.mode === 'none' ? 7 : 8}>
                      <div className={`reason reason-${st.link}`} role="status" data-testid="gateway-reason">{st.reason}</div>
                    </td>
                  </tr>
                ) : null}
              </tbody>
            );
          })}
        </table>
      ) : (
        <p className="empty">No gateways yet.</p>
      )}
      <GatewayForm location={name} />
      {live && live.failover.mode === 'vrrp' ? (
        <p data-testid="failover-holders">
          Floating IP <span className="mono">{live.failover.vip}</span>: {live.failover.holders.length ? `held by ${live.failover.holders.join(', ')}` : 'held by no gateway'}
        </p>
      ) : null}
      {live?.failover.balancer ? (
        <p data-testid="failover-balancer">
          Load balancer {live.failover.balancer.host}: link {live.failover.balancer.link}
          {live.failover.balancer.nginxRunning === null ? '' : live.failover.balancer.nginxRunning ? ', nginx running' : ', nginx not running'}
        </p>
      ) : null}
      {live?.failover.pendingApply ? (
        // A saved change no gateway runs yet: said as pending, with the plan, not as an alarm.
        <div className="note" role="status" data-testid="failover-pending">
          Pending apply: {live.failover.problems.join(' ')}{' '}
          <button type="button" onClick={() => go({ kind: 'provisioning' })} data-testid="failover-plan">
            Plan the apply
          </button>
        </div>
      ) : (
        live?.failover.problems.map((p) => (
          <div key={p} className="reason reason-refused" role="alert" data-testid="failover-problem">
            {p}
          </div>
        ))
      )}
      {/* Keyed by the location only: a save that changes the mode must not remount the form (and lose "Saved"). */}
      <FailoverForm key={location.name} location={location} />

      <h3>Edges</h3>
      <EdgesPanel />

      <h3>Devices</h3>
      <DevicesSection location={location} gateways={detail?.gateways.length ?? 0} run={run} />

      {location.gatewayCount > 0 ? <BundleExport scope={{ location: location.name }} /> : null}
    </section>
  );
}
