// Core's side of the load balancers' rotation: a balancer's heartbeats become events
// (balancer.gateway_out / balancer.gateway_in, with the reason, and balancer.nginx_failed),
// and manual failback (locations.lbRelease) asks the balancer to put a gateway back.
import { z } from 'zod';
import { BulwarkError, type BalancerView, type LocationStatus, type NewEvent } from '../contract/index.js';
import type { Store } from '../store/db.js';
import { agentSubject } from '../core/pki/pki-service.js';
import type { Link } from '../link/link.js';
import type { LinkHub } from '../link/link-hub.js';
import type { StatusModel } from '../status/location-status.js';

/** What changed between two views of one balancer, as events. */
export function rotationEvents(balancer: string, agent: string, before: BalancerView, now: BalancerView): NewEvent[] {
  const old = new Map(before.locations.flatMap((l) => l.gateways.map((g) => [`${l.location}/${g.host}`, g] as const)));
  const events: NewEvent[] = [];
  for (const l of now.locations) {
    for (const g of l.gateways) {
      const had = old.get(`${l.location}/${g.host}`);
      if (had && had.inRotation !== g.inRotation) {
        events.push({ kind: g.inRotation ? 'balancer.gateway_in' : 'balancer.gateway_out', subject: `location:${l.location}`, details: { location: l.location, gateway: g.host, balancer, reason: g.reason, since: g.since } });
      }
    }
  }
  if (now.nginx.error !== before.nginx.error && now.nginx.error) events.push({ kind: 'balancer.nginx_failed', subject: `agent:${agent}`, details: { host: balancer, error: now.nginx.error } });
  return events;
}

const ReleaseRow = z.object({
  name: z.string(),
  failover_mode: z.string(),
  failover_lb_failback: z.string().nullable(),
  lb_host: z.string().nullable(),
  is_gateway: z.number().int(),
});

export class BalancerWatch {
  /** Each balancer's last rotation, kept across its link's drops (so a change while Core was away still shows as an event). */
  private readonly lastRotation = new Map<string, BalancerView>();

  constructor(
    private readonly hub: LinkHub,
    private readonly store: Store,
    private readonly status: StatusModel,
  ) {
    hub.onMessage('heartbeat', (link, m) => {
      if (m.balancer) this.rotationChanged(link, link.heartbeat?.balancer ?? null, m.balancer);
    });
  }

  /** The first heartbeat of a link only says where things stand, unless it differs from what the last link saw. */
  private rotationChanged(link: Link, was: BalancerView | null, now: BalancerView): void {
    const key = link.target.agent;
    const before = was ?? this.lastRotation.get(key) ?? null;
    this.lastRotation.set(key, now);
    if (!before) return;
    const events = rotationEvents(link.target.host, key, before, now);
    if (events.length === 0) return;
    try {
      this.store.write((tx) => {
        for (const e of events) tx.event(e);
      });
    } catch {
      // the balancer's journal has it too
    }
  }

  private lbLocation(location: string, gateway: string): z.infer<typeof ReleaseRow> {
    const row = this.store.read((tx) =>
      tx.get(
        `SELECT l.name, l.failover_mode, l.failover_lb_failback, (SELECT h.name FROM hosts h WHERE h.id = l.failover_lb_host_id) AS lb_host,
           EXISTS (SELECT 1 FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = l.id AND h.name = ?) AS is_gateway
         FROM locations l WHERE l.name = ?`,
        gateway,
        location,
      ),
    );
    if (!row) throw BulwarkError.field('name', `no location named ${JSON.stringify(location)}; see "bulwark location list"`, 'not_found');
    return ReleaseRow.parse(row);
  }

  /** The location's balancer link, up; throws what is wrong with it otherwise. */
  private balancerLink(lbHost: string): Link {
    const link = this.hub.get(agentSubject('balancer', lbHost));
    if (!link || link.state !== 'up') throw new BulwarkError('unavailable', `Core has no link with the load balancer ${lbHost} (${link?.reason ?? 'not installed yet'}); try again when "bulwark status" shows it up`);
    return link;
  }

  /**
   * Manual failback: asks the location's balancer to put a gateway that passes its checks
   * again back into rotation, and waits (up to 5 s) until its heartbeat says it did.
   */
  async releaseGateway(location: string, gateway: string): Promise<LocationStatus> {
    const loc = this.lbLocation(location, gateway);
    if (loc.failover_mode !== 'lb' || !loc.lb_host) throw BulwarkError.field('name', `location ${loc.name} does not use a load balancer; nothing to release`);
    if (loc.failover_lb_failback !== 'manual') throw BulwarkError.field('name', `location ${loc.name} fails back by itself (failback auto): a gateway returns to rotation once it passes its checks`);
    if (loc.is_gateway !== 1) throw BulwarkError.field('gateway', `${gateway} is not a gateway of location ${loc.name}; see "bulwark gateway list --location ${loc.name}"`, 'not_found');
    const link = this.balancerLink(loc.lb_host);
    const entry = () => link.heartbeat?.balancer?.locations.find((l) => l.location === loc.name)?.gateways.find((g) => g.host === gateway);
    const now = entry();
    if (now?.inRotation) return this.status.locationStatus(loc.name);
    if (now?.healthy !== true) throw BulwarkError.field('gateway', `${gateway} fails the load balancer's health check (${now?.reason ?? 'not checked yet'}); it can return once it passes`);
    link.send({ type: 'release', location: loc.name, host: gateway });
    const deadline = Date.now() + 5000;
    while (!entry()?.inRotation) {
      if (Date.now() > deadline || link.state !== 'up') throw new BulwarkError('unavailable', `the load balancer ${loc.lb_host} did not confirm within 5 s; see "journalctl -u bulwark-balancer" there`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.status.locationStatus(loc.name);
  }

  /**
   * A rolling apply: asks the location's balancer to take `gateway` out of rotation (drained)
   * or to end that, and waits until its heartbeat shows the gateway out, or back in (auto
   * failback; with manual failback it stays held out, and this returns at once). Throws with
   * the balancer's own words when it refuses (the last gateway in rotation cannot be drained).
   */
  async drain(location: string, gateway: string, drained: boolean, timeoutMs: number): Promise<string> {
    const loc = this.lbLocation(location, gateway);
    if (loc.failover_mode !== 'lb' || !loc.lb_host) throw new BulwarkError('invalid_input', `location ${loc.name} does not use a load balancer`);
    const t0 = Date.now();
    // A balancer changed in an earlier wave may still be redialling: wait for its link.
    const agent = agentSubject('balancer', loc.lb_host);
    while (this.hub.get(agent)?.state !== 'up' || !this.hub.get(agent)?.heartbeat) {
      if (Date.now() - t0 > timeoutMs) {
        this.balancerLink(loc.lb_host); // throws, naming why the link is not up
        throw new BulwarkError('unavailable', `the load balancer ${loc.lb_host} has not reported since its link came up; see "journalctl -u bulwark-balancer" there`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const link = this.balancerLink(loc.lb_host);
    const entry = () => link.heartbeat?.balancer?.locations.find((l) => l.location === loc.name)?.gateways.find((g) => g.host === gateway);
    let refused: string | null = null;
    const stopListening = this.hub.onMessage('refused', (l, m) => {
      // The balancer names the gateway (or the location) it refused for.
      if (l === link && m.reason.startsWith('drain:') && (m.reason.includes(gateway) || m.reason.includes(loc.name))) refused = m.reason.slice('drain:'.length).trim();
    });
    try {
      link.send({ type: 'drain', location: loc.name, host: gateway, drained });
      if (!drained && loc.failover_lb_failback === 'manual') return `${gateway} stays out of rotation until released (failback manual): bulwark location lb-release ${loc.name} --gateway ${gateway}`;
      for (;;) {
        if (refused !== null) throw new BulwarkError('unavailable', `the load balancer ${loc.lb_host} refused: ${refused}`);
        const e = entry();
        if (e && e.inRotation !== drained) return `${gateway} ${drained ? 'out of' : 'back in'} ${loc.lb_host}'s rotation after ${Date.now() - t0} ms`;
        if (Date.now() - t0 > timeoutMs || link.state !== 'up') {
          throw new BulwarkError('unavailable', `the load balancer ${loc.lb_host} did not show ${gateway} ${drained ? 'out of' : 'back in'} rotation within ${Math.round(timeoutMs / 1000)} s (${e?.reason ?? 'no word on it'}); see "journalctl -u bulwark-balancer" there`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      stopListening();
    }
  }
}
