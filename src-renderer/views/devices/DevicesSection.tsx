// A location's devices: the table (live handshake, traffic, the gateway it came through, its MFA
// session, whether it is disabled), searched and paged by Core (devices.search, through
// device-table-store.ts) so that 10,000 devices cost what one page does; per device a new config
// (a new key pair), disable or enable, removal; the invite panel and the add form. A config, new
// or re-issued, opens in ClientConfigDialog. The search text rides in the URL (?q=). Only
// LocationPage imports it.
import { useEffect, useState } from 'react';
import { NavLink, useSearchParams } from 'react-router';
import type { DeviceSearchRow, Location } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { PAGE_SIZE, useDeviceTable } from '../../stores/device-table-store.js';
import { pathOf } from '../../routes/routes.js';
import { Field, FormError, useForm } from '../form.js';
import { ago, bytes, count } from '../format.js';
import { InvitePanel } from '../InvitePanel.js';
import { ClientConfigDialog, type ClientConfig } from './ClientConfigDialog.js';
import { DeviceActions, SessionCell } from './DeviceControls.js';

type DeviceStatus = DeviceSearchRow;

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

/** The search box, where the page is among the matches, and the way to the others. */
function SearchBar({ run }: { run: (query: string) => void }) {
  const query = useDeviceTable((s) => s.query);
  const offset = useDeviceTable((s) => s.offset);
  const page = useDeviceTable((s) => s.page);
  const pageQuery = useDeviceTable((s) => s.pageQuery);
  const goTo = useDeviceTable((s) => s.goTo);
  const shown = page?.devices.length ?? 0;
  const total = page?.total ?? 0;
  return (
    <div className="table-tools" data-testid="device-tools">
      <input type="search" className="search" placeholder="Search name, address or key" aria-label="Search devices" data-testid="device-search" value={query} onChange={(e) => run(e.target.value)} />
      <span className="muted" data-testid="device-range" data-query={pageQuery} data-offset={page?.offset}>
        {page === null ? '…' : total === 0 ? 'no match' : `${count(offset + 1)}–${count(offset + shown)} of ${count(total)}${query.trim() ? ` matching (${count(page.all)} devices)` : ''}`}
      </span>
      <button type="button" data-testid="device-prev" disabled={offset === 0} onClick={() => goTo(offset - PAGE_SIZE)}>
        Previous
      </button>
      <button type="button" data-testid="device-next" disabled={page === null || offset + shown >= total} onClick={() => goTo(offset + PAGE_SIZE)}>
        Next
      </button>
    </div>
  );
}

function DeviceRow({ d, mfa, run, onConfig }: { d: DeviceStatus; mfa: boolean; run: (p: Promise<unknown>) => Promise<unknown>; onConfig: (c: ClientConfig) => void }) {
  const location = d.location;
  return (
    <tr data-testid="device-row" data-device={d.name} data-enabled={String(d.enabled)} className={d.enabled ? undefined : 'row-muted'}>
      {/* Name, then its address and the start of its key (all of it in the tooltip and "bulwark device list"). */}
      <td>
        <NavLink to={pathOf({ kind: 'device', location, name: d.name })} data-testid={`device-link-${d.name}`}>
          {d.name}
        </NavLink>
        {d.enabled ? null : (
          <span className="state-badge" data-testid="device-disabled" title="Disabled: no peer on the gateways until enabled">
            disabled
          </span>
        )}
        <div className="sub mono">
          {d.address} · <span title={d.publicKey} data-testid="device-key">{d.publicKey.slice(0, 8)}…</span>
        </div>
      </td>
      {/* When, from where, and through which gateway (only once it came through one). */}
      <td>
        <span data-testid="device-handshake" title={d.latestHandshake ?? undefined}>{ago(d.latestHandshake)}</span>
        {d.latestHandshake ? (
          <div className="sub">
            from <span className="mono" data-testid="device-endpoint">{d.endpoint ?? '-'}</span> via <span data-testid="device-via">{d.gateway ?? '-'}</span>
          </div>
        ) : (
          <>
            <span hidden data-testid="device-endpoint">-</span>
            <span hidden data-testid="device-via">-</span>
          </>
        )}
      </td>
      <td className="num" data-testid="device-traffic">{`${bytes(d.rxBytes)} / ${bytes(d.txBytes)}`}</td>
      {mfa ? d.enabled ? <SessionCell location={location} device={d.name} session={d.session} run={run} /> : <td className="muted" data-testid="device-session">disabled</td> : null}
      <td className="actions">
        <DeviceActions d={d} run={run} onConfig={onConfig} />
      </td>
    </tr>
  );
}

export function DevicesSection({ location, gateways, run }: { location: Location; gateways: number; run: (p: Promise<unknown>) => Promise<unknown> }) {
  const name = location.name;
  const [config, setConfig] = useState<ClientConfig | null>(null);
  const [params, setParams] = useSearchParams();
  const page = useDeviceTable((s) => (s.location === name ? s.page : null));
  const error = useDeviceTable((s) => (s.location === name ? s.error : null));
  const query = useDeviceTable((s) => s.query);
  // The page opens on the URL's search; typing keeps the URL's in step (no history entry per key).
  // (Only a new location starts a new watch: the search box changes the URL, not the other way.)
  useEffect(() => useDeviceTable.getState().watch(name, params.get('q') ?? ''), [name]);
  const search = (q: string) => {
    useDeviceTable.getState().search(q);
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (q) next.set('q', q);
      else next.delete('q');
      return next;
    }, { replace: true });
  };
  // An action's refresh also reloads the page (the event would too, a moment later).
  const act = (p: Promise<unknown>) => run(p).then(() => useDeviceTable.getState().load());
  return (
    <>
      {page && page.all > 0 ? <SearchBar run={search} /> : null}
      <FormError message={error} />
      {page && page.devices.length > 0 ? (
        <table className="table live-table" data-testid="devices-table">
          <thead><tr><th>Device</th><th>Last handshake</th><th className="num">Rx / Tx</th>{location.mfa ? <th>MFA session</th> : null}<th /></tr></thead>
          <tbody>
            {page.devices.map((d) => <DeviceRow key={d.name} d={d} mfa={location.mfa} run={act} onConfig={setConfig} />)}
          </tbody>
        </table>
      ) : page === null ? (
        <p className="muted">Loading devices…</p>
      ) : page.all === 0 ? (
        <p className="empty">No devices yet.</p>
      ) : (
        <p className="empty" data-testid="device-no-match">No device matches “{query.trim()}”.</p>
      )}
      {config ? <ClientConfigDialog config={config} onClose={() => setConfig(null)} /> : null}
      <div className="cards">
        <InvitePanel location={name} mfa={location.mfa} />
        <DeviceForm location={name} gateways={gateways} onConfig={setConfig} />
      </div>
    </>
  );
}
