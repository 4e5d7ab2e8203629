// What a rolling apply sees of the hosts (provision/rollout/live.ts), built from the status read
// model and the balancers' links. It lives in the composition root because provision/ sits
// beside the rooms it reads.
import type { EdgeStatus, LocationStatus } from '../contract/index.js';
import type { BalancerWatch } from '../failover/balancer-watch.js';
import type { LinkHub } from '../link/link-hub.js';
import type { RolloutLive } from '../provision/rollout/live.js';
import { EDGES_GROUP, type LiveGateway } from '../provision/rollout/rollout-plan.js';
import type { EdgeStatusModel } from '../status/edge-status.js';
import type { StatusModel } from '../status/location-status.js';

type Gateway = LocationStatus['gateways'][number];

/** Why a gateway cannot take the location's clients now; null when it can. Pure. */
export function notReady(mode: LocationStatus['failover']['mode'], g: Gateway): string | null {
  if (g.link !== 'up') return `link ${g.link}${g.reason ? `: ${g.reason}` : ''}`;
  if (g.healthy !== true) return 'its data plane is unhealthy';
  if (mode === 'lb' && g.lb?.inRotation !== true) return `out of the load balancer's rotation${g.lb?.reason ? ` (${g.lb.reason})` : ''}`;
  if (mode === 'vrrp' && g.vrrp?.role !== 'MASTER' && g.vrrp?.role !== 'BACKUP') return `VRRP role ${g.vrrp?.role ?? 'not known yet'}`;
  return null;
}

/** The location's gateways for the rollout. Pure. */
export function liveGateways(st: LocationStatus): LiveGateway[] {
  return st.gateways.map((g) => {
    const why = notReady(st.failover.mode, g);
    return { host: g.host, ready: why === null, why, holdsVip: st.failover.mode === 'vrrp' && g.link === 'up' ? (g.vrrp?.holdsVip ?? null) : null };
  });
}

/** What is still missing before `host` counts as settled in the location; null when settled. Pure. */
export function unsettled(st: LocationStatus, host: string): string | null {
  const g = st.gateways.find((x) => x.host === host);
  if (!g) return `${host} is not a gateway of location ${st.location}`;
  const why = notReady(st.failover.mode === 'lb' ? 'none' : st.failover.mode, g);
  if (why) return `${host}: ${why}`;
  if (st.failover.mode === 'vrrp' && st.failover.holders.length !== 1) {
    return st.failover.holders.length === 0 ? 'no gateway holds the floating IP' : `${st.failover.holders.join(' and ')} both hold the floating IP`;
  }
  return null;
}

/** The edges for the rollout: ready means linked and taking public requests. Pure. */
export function liveEdges(st: EdgeStatus): LiveGateway[] {
  return st.edges.map((e) => {
    const why = e.link !== 'up' ? `link ${e.link}${e.reason ? `: ${e.reason}` : ''}` : e.ready !== true ? `not ready${e.notReady ? `: ${e.notReady}` : ''}` : null;
    return { host: e.host, ready: why === null, why, holdsVip: null };
  });
}

export class RolloutLiveView implements RolloutLive {
  constructor(
    private readonly status: StatusModel,
    private readonly balancers: BalancerWatch,
    private readonly links: LinkHub,
    private readonly edges: EdgeStatusModel,
  ) {}

  gateways(location: string): LiveGateway[] {
    if (location === EDGES_GROUP) return liveEdges(this.edges.status());
    return liveGateways(this.status.locationStatus(location, false));
  }

  drain(location: string, host: string, drained: boolean, timeoutMs: number): Promise<string> {
    return this.balancers.drain(location, host, drained, timeoutMs);
  }

  async settle(location: string, host: string, timeoutMs: number): Promise<string> {
    const t0 = Date.now();
    // A host installed just now is provisioned since its commit: link with it.
    this.links.sync();
    this.links.redial(host);
    for (;;) {
      if (location === EDGES_GROUP) {
        const me = liveEdges(this.edges.status()).find((e) => e.host === host);
        if (me?.ready) return `${host} linked and ready for public requests after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
        if (Date.now() - t0 > timeoutMs) throw new Error(`Core did not see edge ${host} ready within ${Math.round(timeoutMs / 1000)} s: ${me?.why ?? 'not an edge'}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const st = this.status.locationStatus(location, false);
      const missing = unsettled(st, host);
      if (missing === null) {
        const g = st.gateways.find((x) => x.host === host);
        const role = st.failover.mode === 'vrrp' ? `, ${g?.vrrp?.role ?? ''}; ${st.failover.holders[0] ?? ''} holds the floating IP` : '';
        return `${host} linked and healthy after ${((Date.now() - t0) / 1000).toFixed(1)} s${role}`;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`Core did not see ${host} settle in location ${location} within ${Math.round(timeoutMs / 1000)} s: ${missing}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
