// The problems of a location's failover and of the public side, from what the links see. Pure:
// the state in, problems out, each with the node it concerns, a severity, a sentence an admin
// can act on, and the command (and the UI's button) that fixes it. `locations.status` and
// `edges.status` show the sentences; the topology shows all of it.
import { nodeId, type BalancerView, type EdgeRotationEntry, type RotationEntry, type TopologyProblem } from '../contract/index.js';

/** One gateway as the status sees it: whether its link is up, whether it runs VRRP for the location, and the floating IP. */
export interface GatewaySight {
  host: string;
  linked: boolean;
  /** Its heartbeat reports keepalived for this location (false before an apply put it there). */
  runsVrrp: boolean;
  holdsVip: boolean;
}

export const problem = (id: string, node: string, severity: TopologyProblem['severity'], text: string, command: string | null = null, action: TopologyProblem['action'] = null): TopologyProblem => ({
  id,
  node,
  severity,
  text,
  command,
  action,
});

export function vrrpProblems(location: string, vip: string, gateways: GatewaySight[]): TopologyProblem[] {
  const node = nodeId.location(location);
  const holders = gateways.filter((g) => g.linked && g.holdsVip).map((g) => g.host);
  const blind = gateways.filter((g) => !g.linked).map((g) => g.host);
  // Failover saved but not applied yet: no linked gateway runs keepalived for the location. Said
  // as what it is (a change waiting for an apply, with the plan), not as keepalived failing.
  const linked = gateways.filter((g) => g.linked);
  if (linked.length > 0 && !linked.some((g) => g.runsVrrp)) {
    return [problem(`vrrp-pending:${location}`, node, 'warning', `the floating IP ${vip} waits for an apply: no gateway runs keepalived for ${location} yet, so clients that dial it cannot connect until the apply`, `bulwark provision plan --location ${location}`, { kind: 'plan', host: null, location })];
  }
  if (holders.length > 1) return [problem(`split-brain:${location}`, node, 'critical', `split brain: the floating IP ${vip} is on ${holders.join(' and ')} at once; clients reach whichever answers ARP last. Check the link between them (VRRP adverts) and keepalived on each`, `bulwark status --location ${location}`)];
  if (holders.length === 0 && blind.length === 0 && gateways.length > 0) return [problem(`no-holder:${location}`, node, 'critical', `no gateway holds the floating IP ${vip}: clients cannot connect. Check keepalived on the gateways (bulwark-keepalived.service) and their health`, `bulwark status --location ${location}`)];
  if (holders.length === 0 && blind.length > 0) return [problem(`holder-unseen:${location}`, node, 'critical', `no linked gateway holds the floating IP ${vip}; Core cannot see ${blind.join(', ')}`, `bulwark status --location ${location}`)];
  return [];
}

/** The load balancer as the status sees it: its link (and why it is not up) and its last view. */
export interface BalancerSight {
  host: string;
  linked: boolean;
  /** Why the link is not up; null when it is, or when Core has no link with it at all. */
  reason: string | null;
  view: BalancerView | null;
}

/** The balancer's own problems (its link, its nginx): once per balancer, whatever it balances. */
export function balancerProblems(lb: BalancerSight): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const node = nodeId.balancer(lb.host);
  if (!lb.linked) {
    problems.push(problem(`lb-unlinked:${lb.host}`, node, 'warning', `Core has no link with the load balancer ${lb.host} (${lb.reason ?? 'not installed yet: an apply installs it'}); it keeps balancing, but Core cannot see which gateways it uses`, `bulwark provision plan --host ${lb.host}`, { kind: 'plan', host: lb.host, location: null }));
  } else if (lb.view && !lb.view.nginx.running) {
    problems.push(problem(`nginx-down:${lb.host}`, node, 'critical', `nginx is not running on the load balancer ${lb.host}${lb.view.nginx.error ? `: ${lb.view.nginx.error}` : ''}; clients cannot connect. See "journalctl -u bulwark-balancer" there`));
  } else if (lb.view?.nginx.error) {
    problems.push(problem(`nginx-stale:${lb.host}`, node, 'warning', `the load balancer ${lb.host} could not put its latest rotation into nginx (${lb.view.nginx.error}); nginx still runs the one before. See "journalctl -u bulwark-balancer" there`));
  }
  return problems;
}

/** One lb location's rotation: gateways out, held out (manual failback), or failing but kept. */
export function rotationProblems(location: string, rotation: RotationEntry[] | null, manualFailback = false): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const entries = rotation ?? [];
  for (const g of entries) {
    const gw = nodeId.gateway(g.host);
    if (!g.inRotation) {
      const held = manualFailback && g.healthy === true;
      problems.push(
        held
          ? problem(`held-out:${location}:${g.host}`, gw, 'warning', `gateway ${g.host} passes its checks again but stays out of the load balancer's rotation (manual failback) since ${g.since}; put it back when you are ready`, `bulwark location lb-release ${location} --gateway ${g.host}`, { kind: 'release', location, host: g.host })
          : problem(`out:${location}:${g.host}`, gw, 'warning', `gateway ${g.host} is out of the load balancer's rotation since ${g.since}: ${g.reason ?? 'its health check fails'}; its clients moved to the other gateways (each re-handshakes, ~15 s)`),
      );
    } else if (g.healthy === false) {
      problems.push(problem(`failing:${location}:${g.host}`, gw, 'warning', `gateway ${g.host} fails its health check (${g.reason ?? 'no reason given'}) but stays in rotation: ${entries.some((o) => o.host !== g.host && o.healthy) ? 'it has not failed often enough yet' : 'no gateway passes, so the load balancer keeps sending to all'}`));
    }
  }
  return problems;
}

/** One edge as Core sees it. */
export interface EdgeSight {
  host: string;
  /** Core has a link to make with it (it was provisioned). */
  installed: boolean;
  link: string;
  reason: string | null;
  /** Its last heartbeat's readiness while linked; null before one. */
  ready: boolean | null;
  notReady: string | null;
}

/** The public side: each edge, the edge balancer's view (HAProxy), the public name. */
export interface PublicSight {
  edges: EdgeSight[];
  publicName: string | null;
  balancer: string | null;
  haproxy: { entries: EdgeRotationEntry[]; error: string | null } | null;
}

export function edgeProblems(p: PublicSight): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  for (const e of p.edges) {
    const node = nodeId.edge(e.host);
    const seen = p.haproxy?.entries.find((x) => x.host === e.host) ?? null;
    if (!e.installed) out.push(problem(`edge-uninstalled:${e.host}`, node, 'warning', `edge ${e.host} is not installed yet: an apply installs it`, `bulwark provision apply --host ${e.host}`, { kind: 'plan', host: e.host, location: null }));
    else if (e.link !== 'up' && e.link !== 'connecting') out.push(problem(`edge-unlinked:${e.host}`, node, 'warning', `edge ${e.host} has no link to Core (${e.reason ?? e.link}): it answers "unavailable" until the link is back`, `bulwark provision plan --host ${e.host}`, { kind: 'plan', host: e.host, location: null }));
    else if (e.ready === false) out.push(problem(`edge-not-ready:${e.host}`, node, 'warning', `edge ${e.host} is not ready: ${e.notReady ?? 'no reason given'}`));
    if (seen && !seen.inRotation && e.link === 'up' && e.ready) {
      out.push(problem(`edge-out:${e.host}`, node, 'warning', `the balancer keeps edge ${e.host} out of rotation (${seen.status}${seen.check ? `, ${seen.check}` : ''}) although Core sees it ready: check that ${p.balancer} reaches it on port 9443`));
    }
  }
  const hosts = p.edges.length;
  if (p.publicName === null && hosts > 0) out.push(problem('no-public-name', nodeId.core, 'warning', 'the edges have no public name, so no invite can be made: give them one and a balancer host', 'bulwark edge balancer --host H --public-name NAME'));
  if (p.balancer && p.haproxy?.error) out.push(problem(`haproxy-unread:${p.balancer}`, nodeId.balancer(p.balancer), 'warning', `the balancer ${p.balancer} cannot read HAProxy's state: ${p.haproxy.error}`));
  if (p.balancer && p.haproxy && hosts > 0 && !p.haproxy.entries.some((e) => e.inRotation)) out.push(problem(`no-edge:${p.balancer}`, nodeId.balancer(p.balancer), 'critical', 'no edge is in the balancer\'s rotation: every public request gets "unavailable"'));
  if (hosts === 1) out.push(problem('one-edge', nodeId.edge(p.edges[0]!.host), 'info', 'only one edge: the public side stops when it does; add another', 'bulwark edge add --host H'));
  return out;
}

/** A location's whole lb picture, for `locations.status`: its balancer's problems and its rotation's. */
export function lbProblems(location: string, lb: BalancerSight, rotation: RotationEntry[] | null, manualFailback = false): TopologyProblem[] {
  return [...balancerProblems(lb), ...rotationProblems(location, rotation, manualFailback)];
}
