// The topology folded from facts (topology-model.ts gathers them). Pure: facts and the time in,
// the snapshot out, so every state, word and problem is a unit test.
import {
  nodeId,
  type AgentFacts,
  type AgentRole,
  type FailoverRecord,
  type LinkState,
  type NodeState,
  type Topology,
  type TopologyBalancer,
  type TopologyEdge,
  type TopologyGateway,
  type TopologyLocation,
  type TopologyProblem,
} from '../contract/index.js';
import type { AgentHeartbeat } from '../link/link.js';
import { TAKEOVER_WATCH_MS } from '../contract/index.js';
import { balancerProblems, edgeProblems, rotationProblems, vrrpProblems } from './problems.js';

const DAY_MS = 86_400_000;
/** A certificate this close to its end has missed its renewal (renewal starts at 30 days). */
export const CERT_WARN_DAYS = 14;
export const CA_WARN_DAYS = 60;

/** One agent as Core sees it: installed (Core has a link to make), its link, its last heartbeat, the config it should run. */
export interface AgentSight {
  host: string;
  role: AgentRole;
  installed: boolean;
  view: LinkState | null;
  heartbeat: AgentHeartbeat | null;
  expectedConfig: string | null;
}

export interface LocationFacts {
  name: string;
  network: string;
  endpoint: string;
  mfa: boolean;
  mode: TopologyLocation['failover']['mode'];
  vip: string | null;
  lbHost: string | null;
  lbFailback: 'auto' | 'manual' | null;
  gateways: string[];
  devices: number;
  sessions: number | null;
  /** Devices active within 3 minutes, and per gateway. */
  active: number;
  activeByGateway: ReadonlyMap<string, number>;
  lastFailover: FailoverRecord | null;
}

export interface TopologyFacts {
  now: number;
  core: { version: string; startedAt: string; caNotAfter: string | null; certNotAfter: string | null };
  locations: LocationFacts[];
  /** By subject ("gateway:gw1"). */
  agents: ReadonlyMap<string, AgentSight>;
  edges: string[];
  publicName: string | null;
  edgeBalancer: string | null;
  lockouts: number;
}

const sightOf = (f: TopologyFacts, role: AgentRole, host: string): AgentSight => f.agents.get(`${role}:${host}`) ?? { host, role, installed: false, view: null, heartbeat: null, expectedConfig: null };
const up = (a: AgentSight) => a.view?.state === 'up';
const beat = (a: AgentSight) => (up(a) ? a.heartbeat : null);

function agentFacts(a: AgentSight): AgentFacts {
  const v = a.view;
  const reported = v?.configSha256 ?? null;
  return {
    host: a.host,
    role: a.role,
    link: a.installed && v ? v.state : 'none',
    since: v?.since ?? null,
    reason: a.installed ? (v?.reason ?? null) : 'not installed yet',
    version: v?.agentVersion ?? null,
    certNotAfter: v?.certificate?.notAfter ?? null,
    config: !up(a) || reported === null || a.expectedConfig === null ? 'unknown' : reported === a.expectedConfig ? 'current' : 'drift',
  };
}

/** Problems every agent can have: not installed, no link, an old config or version, a certificate near its end. */
function agentProblems(f: TopologyFacts, a: AgentSight, facts: AgentFacts, what: string): TopologyProblem[] {
  const node = `${a.role}:${a.host}`;
  const unit = `bulwark-${a.role}`;
  const plan = { kind: 'plan' as const, host: a.host, location: null };
  const out: TopologyProblem[] = [];
  if (a.role === 'edge') return out.concat(certProblems(f, node, what, facts), configProblems(f, node, what, facts, plan));
  if (facts.link === 'none') out.push({ id: `uninstalled:${node}`, node, severity: 'warning', text: `${what} is not installed yet: an apply installs it`, command: `bulwark provision apply --host ${a.host}`, action: plan });
  else if (facts.link !== 'up' && facts.link !== 'connecting') out.push({ id: `unlinked:${node}`, node, severity: 'warning', text: `Core has no link with ${what} (${facts.reason ?? facts.link}): check that ${unit} runs there and that Core reaches it`, command: `bulwark provision plan --host ${a.host}`, action: plan });
  return out.concat(certProblems(f, node, what, facts), configProblems(f, node, what, facts, plan));
}

function certProblems(f: TopologyFacts, node: string, what: string, facts: AgentFacts): TopologyProblem[] {
  if (!facts.certNotAfter) return [];
  const left = Date.parse(facts.certNotAfter) - f.now;
  if (left <= 0) return [{ id: `cert-expired:${node}`, node, severity: 'critical', text: `the certificate of ${what} ended ${facts.certNotAfter}: Core refuses its link until an apply installs a new one`, command: `bulwark provision apply --host ${facts.host}`, action: { kind: 'plan', host: facts.host, location: null } }];
  if (left < CERT_WARN_DAYS * DAY_MS) return [{ id: `cert-soon:${node}`, node, severity: 'warning', text: `the certificate of ${what} ends in ${Math.floor(left / DAY_MS)} days (${facts.certNotAfter}) and was not renewed over the link; an apply installs a new one`, command: `bulwark provision apply --host ${facts.host}`, action: { kind: 'plan', host: facts.host, location: null } }];
  return [];
}

function configProblems(f: TopologyFacts, node: string, what: string, facts: AgentFacts, plan: TopologyProblem['action']): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  if (facts.config === 'drift') out.push({ id: `drift:${node}`, node, severity: 'info', text: `${what} runs an older config than Core would install: changes wait for an apply`, command: `bulwark provision apply --host ${facts.host}`, action: plan });
  if (facts.version && facts.version !== f.core.version) out.push({ id: `version:${node}`, node, severity: 'info', text: `${what} runs agent ${facts.version}, Core is ${f.core.version}: an apply updates it`, command: `bulwark provision apply --host ${facts.host}`, action: plan });
  return out;
}

/** The node's colour from its problems: any critical → down, any warning → warning. */
function worst(problems: TopologyProblem[], node: string, base: NodeState): NodeState {
  if (base === 'down' || base === 'unknown') return base;
  const mine = problems.filter((p) => p.node === node);
  if (mine.some((p) => p.severity === 'critical')) return 'down';
  if (mine.some((p) => p.severity === 'warning')) return 'warning';
  return base;
}

function linkWord(facts: AgentFacts): string | null {
  if (facts.link === 'none') return 'not installed';
  if (facts.link !== 'up') return facts.link === 'connecting' ? 'connecting' : `link ${facts.link}`;
  return null;
}

export function buildTopology(f: TopologyFacts): Omit<Topology, 'revision' | 'at'> {
  const problems: TopologyProblem[] = [];
  const gatewayHosts = [...new Set(f.locations.flatMap((l) => l.gateways))].sort();

  // Gateways, with their part in each location.
  const gateways: TopologyGateway[] = gatewayHosts.map((host) => {
    const a = sightOf(f, 'gateway', host);
    const facts = agentFacts(a);
    const hb = beat(a);
    const locations = f.locations
      .filter((l) => l.gateways.includes(host))
      .map((l) => {
        const v = l.mode === 'vrrp' ? (hb?.vrrp?.find((x) => x.location === l.name) ?? null) : null;
        const lb = l.mode === 'lb' && l.lbHost ? beat(sightOf(f, 'balancer', l.lbHost)) : null;
        const entry = lb?.balancer?.locations.find((x) => x.location === l.name)?.gateways.find((g) => g.host === host);
        return { location: l.name, role: v?.role ?? null, holdsVip: v?.holdsVip ?? false, peers: a.view?.applied.find((x) => x.location === l.name)?.peers ?? null, activePeers: l.activeByGateway.get(host) ?? 0, inRotation: entry ? entry.inRotation : null };
      });
    const what = `gateway ${host}`;
    problems.push(...agentProblems(f, a, facts, what));
    const healthy = up(a) ? (a.view?.healthy ?? null) : null;
    if (healthy === false) problems.push({ id: `unhealthy:gateway:${host}`, node: nodeId.gateway(host), severity: 'warning', text: `the WireGuard of ${what} is not healthy (an interface down or not listening): see "journalctl -u bulwark-gateway" there`, command: null, action: null });
    for (const l of locations) {
      if (l.role === 'FAULT') problems.push({ id: `fault:${l.location}:${host}`, node: nodeId.gateway(host), severity: 'warning', text: `keepalived on ${host} says FAULT for ${l.location}: it cannot take the floating IP over (its WireGuard health, or its interface)`, command: null, action: null });
    }
    const down = linkWord(facts);
    const word = down ?? (healthy === false ? 'unhealthy' : locations.some((l) => l.holdsVip) ? 'master' : locations.some((l) => l.role === 'BACKUP') ? 'backup' : locations.some((l) => l.role === 'FAULT') ? 'fault' : locations.some((l) => l.inRotation === false) ? 'out of rotation' : locations.some((l) => l.inRotation) ? 'in rotation' : 'healthy');
    const base: NodeState = facts.link === 'none' || facts.link === 'connecting' ? 'unknown' : down || healthy === false ? 'down' : 'ok';
    return { id: nodeId.gateway(host), state: base, word, ...facts, healthy, wireguardMode: a.view?.wireguardMode ?? null, locations };
  });

  // Locations.
  const locations: TopologyLocation[] = f.locations.map((l) => {
    const node = nodeId.location(l.name);
    const mine = gateways.filter((g) => l.gateways.includes(g.host));
    const ready = mine.filter((g) => g.link === 'up' && g.healthy === true);
    const holders = mine.filter((g) => g.link === 'up' && g.locations.find((x) => x.location === l.name)?.holdsVip).map((g) => g.host);
    const lbSight = l.mode === 'lb' && l.lbHost ? sightOf(f, 'balancer', l.lbHost) : null;
    const rotation = lbSight ? (beat(lbSight)?.balancer?.locations.find((x) => x.location === l.name)?.gateways ?? null) : null;
    // Core has just started and dials its agents: say nothing about the location until it knows.
    const starting = mine.some((g) => g.link === 'connecting');
    const nginxDown = lbSight !== null && beat(lbSight)?.balancer?.nginx.running === false;
    if (l.gateways.length === 0) {
      problems.push({ id: `no-gateway:${l.name}`, node, severity: l.devices > 0 ? 'critical' : 'warning', text: l.devices === 0 ? `location ${l.name} has no gateway yet: add one before its devices` : `location ${l.name} has no gateway: its ${l.devices === 1 ? 'device cannot' : `${l.devices} devices cannot`} connect`, command: `bulwark gateway add --location ${l.name} --host H`, action: null });
    } else if (!starting && ready.length === 0 && mine.some((g) => g.link !== 'none')) {
      problems.push({ id: `no-ready-gateway:${l.name}`, node, severity: 'critical', text: `no gateway of ${l.name} is linked and healthy: its clients are cut off unless Core merely lost sight of them`, command: `bulwark status --location ${l.name}`, action: null });
    }
    if (l.mode === 'vrrp' && !starting) problems.push(...vrrpProblems(l.name, l.vip ?? '', mine.map((g) => ({ host: g.host, linked: g.link === 'up', runsVrrp: beat(sightOf(f, 'gateway', g.host))?.vrrp?.some((v) => v.location === l.name) ?? false, holdsVip: g.locations.find((x) => x.location === l.name)?.holdsVip ?? false }))));
    if (l.mode === 'lb') problems.push(...rotationProblems(l.name, rotation, l.lbFailback === 'manual'));
    if (l.mode !== 'none' && l.gateways.length === 1) problems.push({ id: `one-gateway:${l.name}`, node, severity: 'warning', text: `location ${l.name} has failover ${l.mode} but one gateway: nothing to fail over to`, command: `bulwark gateway add --location ${l.name} --host H`, action: null });
    const last = l.lastFailover;
    if (last && last.missing.length > 0) problems.push({ id: `failover-missing:${l.name}:${last.id}`, node, severity: 'info', text: `after the last failover (${last.tookAt}, to ${last.gateway}) ${last.missing.length} of ${last.clients} clients did not come back within ${TAKEOVER_WATCH_MS / 1000} s: ${last.missing.map((m) => m.device ?? m.publicKey.slice(0, 8)).join(', ')}`, command: `bulwark failover history ${l.name}`, action: null });
    const mineCritical = problems.some((p) => p.node === node && p.severity === 'critical') || nginxDown;
    const pending = problems.some((p) => p.node === node && p.id.startsWith('vrrp-pending:'));
    const word = l.gateways.length === 0 ? 'no gateway' : starting ? 'connecting' : mineCritical ? 'down' : pending ? 'pending apply' : ready.length < l.gateways.length ? 'degraded' : 'serving';
    return {
      id: node,
      // Degraded (a gateway not ready) still serves, but without its spare: amber, not green.
      state: l.gateways.length === 0 ? 'warning' : starting ? 'unknown' : nginxDown ? 'down' : word === 'degraded' ? 'warning' : 'ok',
      word,
      name: l.name,
      network: l.network,
      endpoint: l.endpoint,
      mfa: l.mfa,
      failover: { mode: l.mode, vip: l.vip, holders, balancer: l.lbHost, inRotation: rotation ? rotation.filter((r) => r.inRotation).length : null },
      gateways: l.gateways,
      devices: l.devices,
      activePeers: l.active,
      sessions: l.sessions,
      lastFailover: last,
    };
  });

  // Balancers: of lb locations, and the edge balancer.
  const balancerHosts = [...new Set([...f.locations.filter((l) => l.mode === 'lb' && l.lbHost).map((l) => l.lbHost!), ...(f.edgeBalancer ? [f.edgeBalancer] : [])])].sort();
  const balancers: TopologyBalancer[] = balancerHosts.map((host) => {
    const a = sightOf(f, 'balancer', host);
    const facts = agentFacts(a);
    const view = beat(a)?.balancer ?? null;
    const balanced = f.locations.filter((l) => l.mode === 'lb' && l.lbHost === host);
    // A balancer of lb locations has its link problem from balancerProblems, in words about its clients.
    problems.push(...agentProblems(f, a, facts, `the balancer ${host}`).filter((p) => balanced.length === 0 || !/^(unlinked|uninstalled):/.test(p.id)));
    if (balanced.length > 0 && facts.link !== 'connecting') problems.push(...balancerProblems({ host, linked: up(a), reason: a.installed ? (a.view?.reason ?? null) : null, view }));
    const edges = host === f.edgeBalancer ? view?.edges : undefined;
    const nginxRunning = balanced.length > 0 && view ? view.nginx.running : null;
    const word = linkWord(facts) ?? (nginxRunning === false ? 'nginx down' : 'balancing');
    return {
      id: nodeId.balancer(host),
      state: facts.link === 'none' || facts.link === 'connecting' ? 'unknown' : facts.link !== 'up' || nginxRunning === false ? 'down' : 'ok',
      word,
      ...facts,
      nginxRunning,
      locations: balanced.map((l) => {
        const r = view?.locations.find((x) => x.location === l.name)?.gateways ?? [];
        return { location: l.name, inRotation: r.filter((g) => g.inRotation).map((g) => g.host), out: r.filter((g) => !g.inRotation).map((g) => g.host) };
      }),
      edges: host === f.edgeBalancer ? { inRotation: (edges?.entries ?? []).filter((e) => e.inRotation).map((e) => e.host), out: (edges?.entries ?? []).filter((e) => !e.inRotation).map((e) => e.host), error: edges?.error ?? null } : null,
    };
  });

  // Edges and the public side.
  const edgeBalancerView = f.edgeBalancer ? (beat(sightOf(f, 'balancer', f.edgeBalancer))?.balancer?.edges ?? null) : null;
  const edges: TopologyEdge[] = f.edges.map((host) => {
    const a = sightOf(f, 'edge', host);
    const facts = agentFacts(a);
    const e = beat(a)?.edge ?? null;
    const seen = edgeBalancerView?.entries.find((x) => x.host === host) ?? null;
    problems.push(...agentProblems(f, a, facts, `edge ${host}`));
    const word = linkWord(facts) ?? (e?.ready === false ? 'not ready' : seen && !seen.inRotation ? 'out of rotation' : 'ready');
    return { id: nodeId.edge(host), state: facts.link === 'none' || facts.link === 'connecting' ? 'unknown' : facts.link !== 'up' || e?.ready === false ? 'down' : 'ok', word, ...facts, ready: e ? e.ready : null, notReady: e?.reason ?? null, inRotation: seen ? seen.inRotation : null, served: e?.served ?? null, failed: e?.failed ?? null };
  });
  problems.push(
    ...edgeProblems({
      edges: edges.map((e) => ({ host: e.host, installed: e.link !== 'none', link: e.link, reason: e.reason, ready: e.ready, notReady: e.notReady })),
      publicName: f.publicName,
      balancer: f.edgeBalancer,
      haproxy: edgeBalancerView,
    }),
  );
  if (f.lockouts > 0) problems.push({ id: 'lockouts', node: nodeId.core, severity: 'info', text: `${f.lockouts} lockout${f.lockouts === 1 ? '' : 's'} after wrong codes in force: make sure it was not the user before ending one`, command: 'bulwark lockout list', action: { kind: 'lockouts' } });

  // Core.
  const caLeft = f.core.caNotAfter ? Date.parse(f.core.caNotAfter) - f.now : Infinity;
  if (caLeft < CA_WARN_DAYS * DAY_MS) problems.push({ id: 'ca-soon', node: nodeId.core, severity: 'warning', text: `Core's CA ends ${f.core.caNotAfter}: every agent certificate ends with it`, command: null, action: null });

  const severityRank = { critical: 0, warning: 1, info: 2 } as const;
  problems.sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || a.node.localeCompare(b.node) || a.id.localeCompare(b.id));
  const colour = <T extends { id: string; state: NodeState }>(n: T): T => ({ ...n, state: worst(problems, n.id, n.state) });
  return {
    core: colour({ id: nodeId.core, state: 'ok' as NodeState, word: 'running', version: f.core.version, startedAt: f.core.startedAt, uptimeS: Math.max(0, Math.floor((f.now - Date.parse(f.core.startedAt)) / 1000)), caNotAfter: f.core.caNotAfter, certNotAfter: f.core.certNotAfter }),
    locations: locations.map(colour),
    gateways: gateways.map(colour),
    balancers: balancers.map(colour),
    edges: edges.map(colour),
    publicName: f.publicName,
    lockouts: f.lockouts,
    problems,
  };
}
