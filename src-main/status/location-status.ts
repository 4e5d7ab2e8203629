// status/: the live read model of Bulwark, from what the control links say (locations.status:
// each gateway's link and data plane, the failover and its problems, each device's tunnel).
// It subscribes to the LinkHub and keeps what the messages told it; it writes nothing. The
// seed of the topology read model. Imports contract/, store/, core/sessions and link/;
// system/ builds it, failover/ reads it.
import { z } from 'zod';
import { BulwarkError, FailoverMode, type DeviceSearchOutput, type DeviceSearchRow, type DeviceTunnel, type LocationStatus, type KnownEvent, type PeerStats, type ProcParsedInput, type TopologyProblem } from '../contract/index.js';
import type { Store, Tx } from '../store/db.js';
import { locationGateways } from '../store/queries.js';
import type { SessionService } from '../core/sessions/session-service.js';
import { agentSubject } from '../core/pki/pki-service.js';
import type { Link } from '../link/link.js';
import type { LinkHub } from '../link/link-hub.js';
import { findDevice, searchDevices, type DeviceSearchDbRow } from './device-search.js';
import { lbProblems, vrrpProblems } from './problems.js';

type DeviceStats = PeerStats & { gateway: string };

const LocationRow = z.object({
  id: z.number().int(),
  name: z.string(),
  mfa: z.number().int(),
  disconnect_threshold: z.number().int(),
  failover_mode: FailoverMode,
  failover_vip: z.string().nullable(),
  lb_host: z.string().nullable(),
  lb_failback: z.string().nullable(),
});
const DeviceRow = z.object({ name: z.string(), address: z.string(), public_key: z.string(), enabled: z.number().int() });

/** A device's tunnel: the freshest report of any gateway, and its active MFA session. */
function tunnel(s: DeviceStats | undefined, session: DeviceTunnel['session']): DeviceTunnel {
  return {
    endpoint: s?.endpoint ?? null,
    latestHandshake: s && s.latestHandshake > 0 ? new Date(s.latestHandshake * 1000).toISOString() : null,
    rxBytes: s?.rxBytes ?? null,
    txBytes: s?.txBytes ?? null,
    gateway: s?.gateway ?? null,
    session,
  };
}

export class StatusModel {
  /** location → device public key → the freshest view any gateway reported. */
  private readonly stats = new Map<string, Map<string, DeviceStats>>();

  constructor(
    private readonly hub: LinkHub,
    private readonly store: Store,
    private readonly sessions: SessionService,
  ) {
    hub.onMessage('stats', (link, m) => this.peerStats(link, m.location, m.peers));
  }

  /** A removed device's counters go with it. */
  committed(events: KnownEvent[]): void {
    for (const e of events) {
      if (e.kind === 'device.removed') this.stats.get(e.details.location)?.delete(e.details.publicKey);
      if (e.kind === 'device.rekeyed') this.stats.get(e.details.location)?.delete(e.details.previousKey);
    }
  }

  private peerStats(link: Link, location: string, peers: PeerStats[]): void {
    const byKey = this.stats.get(location) ?? new Map<string, DeviceStats>();
    for (const p of peers) {
      const had = byKey.get(p.publicKey);
      // With several gateways (failover), the one with the newest handshake carries the device.
      if (!had || had.gateway === link.target.host || p.latestHandshake >= had.latestHandshake) byKey.set(p.publicKey, { ...p, gateway: link.target.host });
    }
    this.stats.set(location, byKey);
  }

  /** Devices of the location with a handshake since `sinceS` (unix seconds), in all and by the gateway that carries each. */
  activePeers(location: string, sinceS: number): { total: number; byGateway: Map<string, number> } {
    const byGateway = new Map<string, number>();
    let total = 0;
    for (const s of this.stats.get(location)?.values() ?? []) {
      if (s.latestHandshake < sinceS) continue;
      total++;
      byGateway.set(s.gateway, (byGateway.get(s.gateway) ?? 0) + 1);
    }
    return { total, byGateway };
  }

  /**
   * One page of the location's devices (DeviceSearchInput), each with its tunnel: what the UI's
   * table shows, without carrying every device on every poll.
   */
  search(input: ProcParsedInput<'devices.search'>): DeviceSearchOutput {
    return this.store.read((tx) => {
      const loc = this.requireLocation(tx, input.location);
      const page = searchDevices(tx, loc.id, input);
      return { total: page.total, all: page.all, offset: page.offset, devices: page.rows.map((r) => this.deviceRow(loc.name, r)) };
    });
  }

  /** One device with its tunnel and session: its own page. */
  device(location: string, name: string): DeviceSearchRow {
    return this.store.read((tx) => {
      const loc = this.requireLocation(tx, location);
      const row = findDevice(tx, loc.id, name);
      if (!row) throw BulwarkError.field('name', `location ${loc.name} has no device named ${JSON.stringify(name)}; see "bulwark device list --location ${loc.name}"`, 'not_found');
      return this.deviceRow(loc.name, row);
    });
  }

  private requireLocation(tx: Tx, name: string): { id: number; name: string } {
    const loc = tx.get<{ id: number; name: string }>('SELECT id, name FROM locations WHERE name = ?', name);
    if (!loc) throw BulwarkError.field('location', `no location named ${JSON.stringify(name)}; see "bulwark location list"`, 'not_found');
    return loc;
  }

  private deviceRow(location: string, r: DeviceSearchDbRow): DeviceSearchRow {
    return {
      location,
      name: r.name,
      address: r.address,
      publicKey: r.public_key,
      createdAt: r.created_at,
      enabled: r.enabled === 1,
      ...tunnel(this.stats.get(location)?.get(r.public_key), r.session_id === null ? null : { id: r.session_id, startedAt: r.session_started_at!, startedBy: r.session_started_by! }),
    };
  }

  /** The location live: each gateway's link and data plane, each device's tunnel (unless `withDevices` is false: an empty list). */
  locationStatus(name: string, withDevices = true): LocationStatus {
    return this.store.read((tx) => {
      const row = tx.get(
        'SELECT id, name, mfa, disconnect_threshold, failover_mode, failover_vip, (SELECT h.name FROM hosts h WHERE h.id = failover_lb_host_id) AS lb_host, failover_lb_failback AS lb_failback FROM locations WHERE name = ?',
        name,
      );
      if (!row) throw BulwarkError.field('name', `no location named ${JSON.stringify(name)}; see "bulwark location list"`, 'not_found');
      const loc = LocationRow.parse(row);
      const hosts = locationGateways(tx, loc.id);
      const stats = this.stats.get(loc.name) ?? new Map<string, DeviceStats>();
      const sessions = loc.mfa === 1 && withDevices ? this.sessions.active(loc.name) : new Map();
      const linkOf = (host: string) => this.hub.get(agentSubject('gateway', host));
      const vrrpOf = (l: Link | undefined) => (l && l.state === 'up' && loc.failover_mode === 'vrrp' ? (l.heartbeat?.vrrp?.find((v) => v.location === loc.name) ?? null) : null);
      const holders = hosts.filter((h) => vrrpOf(linkOf(h))?.holdsVip);
      const problems: TopologyProblem[] = [];
      if (loc.failover_mode === 'vrrp') {
        problems.push(...vrrpProblems(loc.name, loc.failover_vip ?? '', hosts.map((h) => ({ host: h, linked: linkOf(h)?.state === 'up', runsVrrp: vrrpOf(linkOf(h)) !== null, holdsVip: vrrpOf(linkOf(h))?.holdsVip ?? false }))));
      }
      const lbLink = loc.failover_mode === 'lb' && loc.lb_host ? this.hub.get(agentSubject('balancer', loc.lb_host)) : undefined;
      const lbView = lbLink?.state === 'up' ? (lbLink.heartbeat?.balancer ?? null) : null;
      const rotation = lbView?.locations.find((l) => l.location === loc.name)?.gateways ?? null;
      if (loc.failover_mode === 'lb' && loc.lb_host) {
        problems.push(...lbProblems(loc.name, { host: loc.lb_host, linked: lbLink?.state === 'up', reason: lbLink?.reason ?? null, view: lbView }, rotation, loc.lb_failback === 'manual'));
      }
      return {
        location: loc.name,
        mfa: loc.mfa === 1,
        disconnectThreshold: loc.disconnect_threshold,
        gateways: hosts.map((host) => {
          const link = linkOf(host);
          const l = link?.view();
          const v = vrrpOf(link);
          const r = rotation?.find((g) => g.host === host);
          return {
            host,
            link: l?.state ?? 'down',
            since: l?.since ?? null,
            reason: l ? l.reason : 'not installed yet: an apply installs it',
            healthy: l?.healthy ?? null,
            wireguardMode: l?.wireguardMode ?? null,
            peers: l?.applied.find((a) => a.location === loc.name)?.peers ?? null,
            vrrp: v ? { role: v.role, holdsVip: v.holdsVip } : null,
            lb: r ? { inRotation: r.inRotation, healthy: r.healthy, since: r.since, reason: r.reason } : null,
          };
        }),
        failover: {
          mode: loc.failover_mode,
          vip: loc.failover_vip,
          holders,
          balancer: loc.failover_mode === 'lb' && loc.lb_host ? { host: loc.lb_host, link: lbLink?.state ?? 'down', nginxRunning: lbView?.nginx.running ?? null } : null,
          problems: problems.map((p) => p.text),
          pendingApply: problems.some((p) => p.id.startsWith('vrrp-pending:')),
        },
        devices: !withDevices
          ? []
          : tx
              .all('SELECT name, address, public_key, enabled FROM devices WHERE location_id = ? ORDER BY name', loc.id)
              .map((r) => {
                const d = DeviceRow.parse(r);
                const session = sessions.get(d.public_key);
                return {
                  name: d.name,
                  address: d.address,
                  publicKey: d.public_key,
                  enabled: d.enabled === 1,
                  ...tunnel(stats.get(d.public_key), session ? { id: session.id, startedAt: session.startedAt, startedBy: session.startedBy } : null),
                };
              }),
      };
    });
  }
}
