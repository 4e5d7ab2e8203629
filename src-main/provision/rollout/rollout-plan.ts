// The order of an apply (pure): which hosts change together, so that every failover location
// keeps serving. A vrrp location changes its backups first, one at a time, then its master
// after a graceful handover; an lb location changes one gateway at a time, each out of the
// balancer's rotation meanwhile. The edges (EDGES_GROUP) change one at a time too, each
// waited for until it is ready again, so the public side never has none. Hosts that serve no
// failover location go first, in parallel.
import type { LocationStatus, Rollout, RolloutHost, RolloutOrder } from '../../contract/index.js';
import { formatDuration } from '../../text/duration.js';

/**
 * The edges as one group of the rollout, beside the locations: a name no location can have
 * (location names have no parentheses).
 */
export const EDGES_GROUP = '(edges)';

/** A gateway of a location (or an edge of EDGES_GROUP) as Core sees it live. */
export interface LiveGateway {
  host: string;
  /** Linked and its data plane healthy: it can take the location's clients. */
  ready: boolean;
  /** Why it is not ready, for the plan's words; null when ready. */
  why: string | null;
  /** vrrp: whether it holds the floating IP; null when Core cannot tell (no link). */
  holdsVip: boolean | null;
}

export interface RolloutLocation {
  name: string;
  /** edges: EDGES_GROUP, whose "gateways" are the edges. */
  mode: LocationStatus['failover']['mode'] | 'edges';
  /** Every gateway of the location, in scope or not, with what Core sees of it. */
  gateways: LiveGateway[];
  /** lb: the load balancer host. */
  balancer: string | null;
}

export interface RolloutInput {
  order: RolloutOrder;
  /** Hosts whose apply changes anything; each gets a turn. */
  changing: string[];
  /**
   * Of those, hosts whose apply stops nothing they serve: no unit restarts or stops (files
   * only, a first start, keepalived re-reading its config). They keep their turn, but hand
   * over nothing, drain nothing and cut nobody off.
   */
  quiet?: ReadonlySet<string>;
  /** Hosts whose keepalived can be stopped for a handover (it carries no lone gateway's floating IP); absent: every host. */
  canHandOver?: ReadonlySet<string>;
  /** The locations any changing host is a gateway of. */
  locations: RolloutLocation[];
  /** How long each host's last restart took (ms), for the one-gateway warning; absent: never measured. */
  lastRestartMs: ReadonlyMap<string, number>;
}

/** A location whose clients can move to another gateway while one changes. */
function rolls(l: RolloutLocation): boolean {
  return l.mode !== 'none' && l.gateways.length >= 2;
}

export function planRollout(input: RolloutInput): Rollout {
  const changing = [...new Set(input.changing)].sort();
  const warnings: Rollout['warnings'] = [];
  const outages: Rollout['outages'] = [];
  const rolling = input.locations.filter(rolls);
  const locationsOf = (host: string) => rolling.filter((l) => l.gateways.some((g) => g.host === host));

  for (const l of input.locations.filter((l) => !rolls(l))) {
    const only = l.gateways[0];
    if (l.gateways.length !== 1 || !only || !changing.includes(only.host)) continue;
    const last = input.lastRestartMs.get(only.host);
    if (l.mode === 'edges') {
      warnings.push({ location: l.name, message: `there is one edge, ${only.host}: enrollment and MFA are unavailable while its agent restarts${last !== undefined ? ` (the last restart there took ${formatDuration(last)})` : ''}; add a second edge ("bulwark edge add --host H") to change it without an outage` });
      continue;
    }
    warnings.push({
      location: l.name,
      message: `location ${l.name} has one gateway, ${only.host}: its clients lose the tunnel while ${only.host}'s units restart${last !== undefined ? ` (the last restart there took ${formatDuration(last)})` : ''}; add a second gateway with failover to change it without an outage`,
    });
  }

  if (input.order === 'all_at_once') {
    for (const l of rolling) {
      if (l.gateways.every((g) => changing.includes(g.host))) {
        if (l.mode === 'edges') {
          outages.push({ location: l.name, message: 'every edge changes at the same moment (all at once): enrollment and MFA are unavailable until one is back' });
          continue;
        }
        outages.push({ location: l.name, message: `every gateway of location ${l.name} changes at the same moment (all at once): its clients lose the tunnel until one is back` });
      }
    }
    const hosts = changing.map((host): RolloutHost => ({ host, handovers: [], drains: [] }));
    return { order: 'all_at_once', waves: hosts.length ? [{ index: 0, hosts }] : [], warnings, outages };
  }

  const holds = (l: RolloutLocation, host: string) => l.gateways.find((g) => g.host === host)?.holdsVip === true;
  const heldCount = (host: string) => locationsOf(host).filter((l) => l.mode === 'vrrp' && holds(l, host)).length;
  const first = changing.filter((h) => locationsOf(h).length === 0);
  const queue = changing.filter((h) => locationsOf(h).length > 0).sort((a, b) => heldCount(a) - heldCount(b) || (a < b ? -1 : 1));
  const waves: string[][] = first.length ? [first] : [];
  const done = new Set<string>(first);
  while (queue.length > 0) {
    const wave: string[] = [];
    const taken = new Set<string>();
    for (const h of queue) {
      const locs = locationsOf(h);
      if (locs.some((l) => taken.has(l.name))) continue;
      // A master waits for the other changing gateways of its location: it goes last.
      const waits = locs.some((l) => l.mode === 'vrrp' && holds(l, h) && l.gateways.some((g) => g.host !== h && changing.includes(g.host) && !done.has(g.host)));
      if (waits) continue;
      wave.push(h);
      locs.forEach((l) => taken.add(l.name));
    }
    if (wave.length === 0) {
      // Masters of each other's locations: one of them goes first and hands over twice.
      const h = queue[0]!;
      wave.push(h);
      for (const l of locationsOf(h).filter((l) => l.mode === 'vrrp' && holds(l, h))) {
        warnings.push({ location: l.name, message: `${h} holds the floating IP of location ${l.name} but is changed before its other gateways (they hold other locations' floating IPs): the address moves twice` });
      }
    }
    for (const h of wave) {
      queue.splice(queue.indexOf(h), 1);
      done.add(h);
    }
    waves.push(wave);
  }

  for (const l of rolling) {
    // (A first install has no holder yet: nothing to say.)
    const running = l.gateways.some((g) => changing.includes(g.host) && !input.quiet?.has(g.host));
    if (l.mode === 'vrrp' && running && l.gateways.every((g) => g.holdsVip === null)) {
      warnings.push({ location: l.name, message: `Core cannot see which gateway holds the floating IP of location ${l.name} (no link to any): each hands it over if it holds it when its turn comes` });
    }
  }

  const turn = (host: string): RolloutHost => {
    const handovers: RolloutHost['handovers'] = [];
    const drains: RolloutHost['drains'] = [];
    if (input.quiet?.has(host)) return { host, handovers, drains };
    for (const l of locationsOf(host)) {
      const me = l.gateways.find((g) => g.host === host);
      const others = l.gateways.filter((g) => g.host !== host);
      const ready = others.filter((g) => g.ready).map((g) => g.host);
      const serving = l.mode === 'lb' || me?.holdsVip !== false;
      if (l.mode === 'vrrp' && me?.holdsVip !== false && (input.canHandOver?.has(host) ?? true)) handovers.push({ location: l.name, to: ready });
      if (l.mode === 'lb' && l.balancer) drains.push({ location: l.name, balancer: l.balancer });
      if (l.mode === 'edges') {
        if (ready.length === 0) outages.push({ location: l.name, message: `the public side (enrollment and MFA) is unavailable while ${host} is changed: no other edge is ready (${others.map((g) => `${g.host}: ${g.why ?? 'not ready'}`).join('; ')})` });
        continue;
      }
      if (serving && ready.length === 0) {
        const why = others.map((g) => `${g.host}: ${g.why ?? 'not ready'}`).join('; ');
        outages.push({ location: l.name, message: `location ${l.name} loses service while ${host} is changed: no other gateway is ready to take its clients (${why})` });
      }
    }
    return { host, handovers, drains };
  };
  return { order: 'rolling', waves: waves.map((w, index) => ({ index, hosts: w.map(turn) })), warnings, outages };
}
