// The failover history: each takeover as the new master measured it (agents/gateway/takeover.ts),
// kept per location (table failovers) with the gateway Core last saw holding the floating IP
// before. A report is kept once per (gateway, id) and acknowledged, so the gateway can forget it.
import { z } from 'zod';
import { BulwarkError, type AgentTakeover, type FailoverRecord } from '../contract/index.js';
import type { Link } from '../link/link.js';
import type { LinkHub } from '../link/link-hub.js';
import type { Store } from '../store/db.js';

const Row = z.object({
  id: z.number().int(),
  location: z.string(),
  gateway: z.string(),
  previous: z.string().nullable(),
  took_at: z.string(),
  address_after_ms: z.number(),
  clients: z.number().int(),
  back_ms: z.string(),
  missing: z.string(),
  unreachable: z.number().int(),
  drill: z.number().int(),
  received_at: z.string(),
});

/** The value below which `share` of the sorted values lie (nearest rank); null for none. */
export function percentile(sorted: readonly number[], share: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

function toRecord(r: z.infer<typeof Row>): FailoverRecord {
  const back = z.array(z.number()).parse(JSON.parse(r.back_ms));
  return {
    id: r.id,
    location: r.location,
    gateway: r.gateway,
    previous: r.previous,
    tookAt: r.took_at,
    addressAfterMs: r.address_after_ms,
    clients: r.clients,
    back: back.length,
    medianMs: percentile(back, 0.5),
    p95Ms: percentile(back, 0.95),
    slowestMs: back.at(-1) ?? null,
    missing: z.array(z.object({ publicKey: z.string(), device: z.string().nullable() })).parse(JSON.parse(r.missing)),
    unreachable: r.unreachable,
    drill: r.drill === 1,
    receivedAt: r.received_at,
  };
}

const SELECT = `SELECT f.id, l.name AS location, f.gateway, f.previous, f.took_at, f.address_after_ms, f.clients, f.back_ms, f.missing, f.unreachable, f.drill, f.received_at
  FROM failovers f JOIN locations l ON l.id = f.location_id`;

export class FailoverHistory {
  /** Per location: the gateway last seen holding the floating IP, and the one before it. */
  private readonly holders = new Map<string, { now: string; before: string | null }>();
  /** Per location: a drill in progress (its master, and when it started), so the takeover it causes is marked as one. */
  private readonly drills = new Map<string, { master: string; since: number }>();
  private readonly recorded = new Set<(r: FailoverRecord) => void>();

  constructor(
    hub: LinkHub,
    private readonly store: Store,
  ) {
    hub.onMessage('heartbeat', (link, m) => {
      for (const v of m.vrrp ?? []) if (v.holdsVip) this.sawHolder(v.location, link.target.host);
    });
    hub.onMessage('takeover', (link, m) => this.record(link, m));
  }

  private sawHolder(location: string, host: string): void {
    const h = this.holders.get(location);
    if (h?.now !== host) this.holders.set(location, { now: host, before: h?.now ?? null });
  }

  /** Marks the location's next takeover (taken after now) as a drill's, until the returned end is called; one drill at a time per location. */
  drillStarted(location: string, master: string, since: number): () => void {
    if (this.drills.has(location)) throw new BulwarkError('in_use', `a drill of ${location} is already running; wait for its result`);
    const mine = { master, since };
    this.drills.set(location, mine);
    return () => {
      if (this.drills.get(location) === mine) this.drills.delete(location);
    };
  }

  /** A takeover the running drill of the location caused: by another gateway, taken after the drill began (a second of clock skew allowed). */
  private byDrill(location: string, gateway: string, tookAt: string): boolean {
    const d = this.drills.get(location);
    return d !== undefined && d.master !== gateway && Date.parse(tookAt) >= d.since - 1000;
  }

  /** Whether a drill of the location runs now. */
  drilling(location: string): boolean {
    return this.drills.has(location);
  }

  /** Calls fn with each takeover recorded from now on; returns the stop. */
  onRecorded(fn: (r: FailoverRecord) => void): () => void {
    this.recorded.add(fn);
    return () => this.recorded.delete(fn);
  }

  private record(link: Link, m: AgentTakeover): void {
    const gateway = link.target.host;
    const h = this.holders.get(m.location);
    const previous = (h?.now === gateway ? h.before : h?.now) ?? null;
    const drill = this.byDrill(m.location, gateway, m.tookAt);
    // The first election (no holder before it that Core saw, no client to move) is not a failover.
    if (previous === null && m.clients === 0 && !drill) {
      link.send({ type: 'takeoverAck', ids: [m.id] });
      return;
    }
    let record: FailoverRecord | null = null;
    try {
      record = this.store.write((tx) => {
        // Only a gateway of the location, in vrrp mode, speaks for it; anything else is acknowledged and dropped.
        const loc = tx.get<{ id: number }>(
          `SELECT l.id FROM locations l JOIN gateways g ON g.location_id = l.id JOIN hosts h ON h.id = g.host_id
           WHERE l.name = ? AND l.failover_mode = 'vrrp' AND h.name = ?`,
          m.location,
          gateway,
        );
        if (!loc) return null;
        const names = new Map(
          m.missing.length === 0
            ? []
            : tx.all<{ public_key: string; name: string }>(`SELECT public_key, name FROM devices WHERE location_id = ? AND public_key IN (${m.missing.map(() => '?').join(',')})`, loc.id, ...m.missing).map((d) => [d.public_key, d.name]),
        );
        const missing = m.missing.map((publicKey) => ({ publicKey, device: names.get(publicKey) ?? null }));
        const inserted = tx.run(
          `INSERT OR IGNORE INTO failovers (location_id, gateway, report_id, previous, took_at, address_after_ms, clients, back_ms, missing, unreachable, drill, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          loc.id, gateway, m.id, previous, m.tookAt, m.addressAfterMs, m.clients, JSON.stringify([...m.backMs].sort((a, b) => a - b)), JSON.stringify(missing), m.unreachable, drill ? 1 : 0, new Date().toISOString(),
        );
        if (inserted.changes === 0) return null; // sent again before our acknowledgement arrived
        const r = toRecord(Row.parse(tx.get(`${SELECT} WHERE f.id = ?`, inserted.lastInsertRowid)));
        tx.event({
          kind: 'failover.measured',
          subject: `location:${m.location}`,
          details: { location: m.location, gateway, previous, tookAt: m.tookAt, clients: r.clients, back: r.back, medianMs: r.medianMs, slowestMs: r.slowestMs, missing: r.missing.length, drill },
        });
        return r;
      });
    } catch {
      return; // not stored: no acknowledgement, so the gateway sends it again on the next link
    }
    link.send({ type: 'takeoverAck', ids: [m.id] });
    if (record) for (const fn of this.recorded) fn(record);
  }

  /** The location's takeovers, newest first. */
  history(location: string, limit: number): FailoverRecord[] {
    return this.store.read((tx) => {
      const loc = tx.get<{ id: number; name: string }>('SELECT id, name FROM locations WHERE name = ?', location);
      if (!loc) throw BulwarkError.field('location', `no location named ${JSON.stringify(location)}; see "bulwark location list"`, 'not_found');
      return tx.all(`${SELECT} WHERE f.location_id = ? ORDER BY f.took_at DESC, f.id DESC LIMIT ?`, loc.id, limit).map((r) => toRecord(Row.parse(r)));
    });
  }

  /** The newest takeover of each location, for the topology. */
  latest(): Map<string, FailoverRecord> {
    return this.store.read((tx) => {
      const rows = tx.all(`${SELECT} WHERE f.id = (SELECT f2.id FROM failovers f2 WHERE f2.location_id = f.location_id ORDER BY f2.took_at DESC, f2.id DESC LIMIT 1)`);
      return new Map(rows.map((r) => toRecord(Row.parse(r))).map((r) => [r.location, r]));
    });
  }
}
