// The topology read model (design decision 12: derived, not stored). It gathers the facts (the
// store's, cached until a commit; the links', live) and folds them with topology-build.ts into
// one snapshot. A heartbeat that changes nothing visible costs a comparison; one that does (a
// role, a holder, health, a rotation) schedules one fold within COALESCE_MS, and a snapshot that
// differs from the last gets the next revision and goes to the subscribers (the event stream).
import { z } from 'zod';
import { FailoverMode, type KnownEvent, type Topology } from '../contract/index.js';
import { formatEndpoint } from '../net/endpoint.js';
import type { LinkHub } from '../link/link-hub.js';
import type { Store, Tx } from '../store/db.js';
import type { StatusModel } from './location-status.js';
import { buildTopology, type AgentSight, type LocationFacts, type TopologyFacts } from './topology-build.js';

/** A device is an active peer with a handshake within this (WireGuard re-handshakes every 2 min while in use). */
export const ACTIVE_WITHIN_S = 180;
const COALESCE_MS = 50;
/** Time alone changes some facts (active peers, certificate days): fold at least this often. */
const TICK_MS = 5000;

const LocationRow = z.object({
  id: z.number().int(),
  name: z.string(),
  network: z.string(),
  endpoint_host: z.string(),
  endpoint_port: z.number().int(),
  mfa: z.number().int(),
  failover_mode: FailoverMode,
  failover_vip: z.string().nullable(),
  lb_host: z.string().nullable(),
  failover_lb_failback: z.enum(['auto', 'manual']).nullable(),
  devices: z.number().int(),
});

/** What the store says, read once per commit. */
interface StoreFacts {
  locations: (Omit<LocationFacts, 'active' | 'activeByGateway' | 'sessions' | 'lastFailover'> & { id: number })[];
  /** Installed agents (by subject) and the config digest each should run. */
  expected: Map<string, string>;
  edges: string[];
  publicName: string | null;
  edgeBalancer: string | null;
  lastFailovers: Map<string, NonNullable<LocationFacts['lastFailover']>>;
  endDates: { ca: string | null; core: string | null };
}

export interface TopologyDeps {
  hub: LinkHub;
  store: Store;
  status: StatusModel;
  /** The newest takeover of each location (failover/failover-history.ts). */
  lastFailovers: () => Map<string, NonNullable<LocationFacts['lastFailover']>>;
  info: () => { version: string; startedAt: string };
  /** Agent subject → the SHA-256 of the config an apply would install (provision/expected-configs.ts). */
  expectedConfigs: (tx: Tx) => Map<string, string>;
  endDates: () => { ca: string | null; core: string | null };
  activeSessions: (location: string) => number;
  lockouts: () => number;
  now?: () => number;
}

/** The parts of a heartbeat the topology shows (not its sequence number). */
const visible = (m: { healthy: boolean; vrrp?: unknown; balancer?: unknown; edge?: unknown }) => JSON.stringify([m.healthy, m.vrrp ?? null, m.balancer ?? null, m.edge ?? null]);

export class TopologyModel {
  private revision = 0;
  private snapshot: Topology | null = null;
  /** The last snapshot without its time and uptime: what decides whether something changed. */
  private compared = '';
  private storeFacts: StoreFacts | null = null;
  /** Facts that also end by time alone (lockouts, idle sessions): read again on every tick and commit. */
  private timely: { lockouts: number; sessions: Map<string, number> } | null = null;
  private dirty = true;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly listeners = new Set<(t: Topology) => void>();
  private readonly stops: (() => void)[] = [];
  /** Milliseconds spent comparing heartbeats and folding, since start (bench/topology reads it). */
  spentMs = 0;

  constructor(private readonly deps: TopologyDeps) {
    const { hub } = deps;
    this.stops.push(
      hub.onMessage('heartbeat', (link, m) => {
        const t0 = performance.now();
        const before = link.heartbeat;
        if (!before || visible(before) !== visible({ ...m, vrrp: m.vrrp ?? before.vrrp, balancer: m.balancer ?? before.balancer, edge: m.edge ?? before.edge })) this.schedule();
        this.spentMs += performance.now() - t0;
      }),
      hub.onMessage('hello', () => this.schedule()),
      hub.onMessage('applied', () => this.schedule()),
      hub.onMessage('certificateInstalled', () => this.schedule()),
      hub.onDidChangeState(() => this.schedule()),
    );
    this.ticker = setInterval(() => {
      this.timely = null;
      this.schedule();
    }, TICK_MS);
    this.ticker.unref?.();
  }

  /** After a commit: what the store says may have changed. */
  committed(events: KnownEvent[]): void {
    if (events.every((e) => e.kind === 'provision.step')) return;
    this.storeFacts = null;
    this.timely = null;
    this.schedule();
  }

  /** Calls fn with every new revision; returns the stop. */
  onDidChange(fn: (t: Topology) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The snapshot as of now (folded first if anything changed since the last). */
  get(): Topology {
    if (this.dirty || !this.snapshot) this.fold();
    return this.snapshot!;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.ticker);
    for (const stop of this.stops) stop();
    this.listeners.clear();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer || this.listeners.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dirty) this.fold();
    }, COALESCE_MS);
  }

  private fold(): void {
    const t0 = performance.now();
    const now = this.deps.now?.() ?? Date.now();
    this.dirty = false;
    const built = buildTopology(this.facts(now));
    const compared = JSON.stringify({ ...built, core: { ...built.core, uptimeS: 0 } });
    const changed = compared !== this.compared;
    if (changed || !this.snapshot) {
      if (changed) this.revision++;
      this.compared = compared;
    }
    this.snapshot = { revision: this.revision, at: new Date(now).toISOString(), ...built };
    this.spentMs += performance.now() - t0;
    if (changed) for (const fn of this.listeners) fn(this.snapshot);
  }

  private facts(now: number): TopologyFacts {
    const s = (this.storeFacts ??= this.readStore());
    const timely = (this.timely ??= { lockouts: this.deps.lockouts(), sessions: new Map(s.locations.filter((l) => l.mfa).map((l) => [l.name, this.deps.activeSessions(l.name)])) });
    const agents = new Map<string, AgentSight>();
    for (const subject of new Set([...s.expected.keys(), ...this.deps.hub.list().map((l) => l.agent)])) {
      const [role, host] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)] as [AgentSight['role'], string];
      const link = this.deps.hub.get(subject);
      agents.set(subject, { host, role, installed: link !== undefined, view: link?.view() ?? null, heartbeat: link?.heartbeat ?? null, expectedConfig: s.expected.get(subject) ?? null });
    }
    const since = Math.floor(now / 1000) - ACTIVE_WITHIN_S;
    return {
      now,
      core: { ...this.deps.info(), caNotAfter: s.endDates.ca, certNotAfter: s.endDates.core },
      locations: s.locations.map(({ id: _, ...l }) => {
        const active = this.deps.status.activePeers(l.name, since);
        return { ...l, active: active.total, activeByGateway: active.byGateway, sessions: l.mfa ? (timely.sessions.get(l.name) ?? 0) : null, lastFailover: s.lastFailovers.get(l.name) ?? null };
      }),
      agents,
      edges: s.edges,
      publicName: s.publicName,
      edgeBalancer: s.edgeBalancer,
      lockouts: timely.lockouts,
    };
  }

  private readStore(): StoreFacts {
    return this.deps.store.read((tx) => {
      const rows = tx
        .all(
          `SELECT l.id, l.name, l.network, l.endpoint_host, l.endpoint_port, l.mfa, l.failover_mode, l.failover_vip, l.failover_lb_failback,
             (SELECT h.name FROM hosts h WHERE h.id = l.failover_lb_host_id) AS lb_host,
             (SELECT COUNT(*) FROM devices d WHERE d.location_id = l.id) AS devices
           FROM locations l ORDER BY l.name`,
        )
        .map((r) => LocationRow.parse(r));
      const members = tx.all<{ location_id: number; host: string }>('SELECT g.location_id, h.name AS host FROM gateways g JOIN hosts h ON h.id = g.host_id ORDER BY h.name');
      const locations = rows.map((l) => ({
        id: l.id,
        name: l.name,
        network: l.network,
        endpoint: formatEndpoint({ host: l.endpoint_host, port: l.endpoint_port }),
        mfa: l.mfa === 1,
        mode: l.failover_mode,
        vip: l.failover_vip,
        lbHost: l.lb_host,
        lbFailback: l.failover_lb_failback,
        gateways: members.filter((m) => m.location_id === l.id).map((m) => m.host),
        devices: l.devices,
      }));
      const edgeSettings = tx.get<{ public_name: string; balancer: string | null }>('SELECT public_name, (SELECT h.name FROM hosts h WHERE h.id = balancer_host_id) AS balancer FROM edge_settings WHERE id = 1');
      return {
        locations,
        expected: this.deps.expectedConfigs(tx),
        edges: tx.all<{ name: string }>('SELECT h.name FROM edges e JOIN hosts h ON h.id = e.host_id ORDER BY h.name').map((r) => r.name),
        publicName: edgeSettings?.public_name ?? null,
        edgeBalancer: edgeSettings?.balancer ?? null,
        lastFailovers: this.deps.lastFailovers(),
        endDates: this.deps.endDates(),
      };
    });
  }
}
