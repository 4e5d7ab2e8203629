// graph/: the topology as a graph of nodes and edges, its Graphviz form (here) and its places on
// the map (topology-layout.ts, with dagre). Pure functions of the contract's Topology, shared by
// `bulwark topology --dot`, Core (which lays out the whole map ahead) and the UI's map, so all
// draw the same picture. Imports the contract and dagre only; the CLI, Core and the renderer import it.
import { nodeId, type NodeState, type Topology } from '../contract/index.js';

export type GraphNodeKind = 'core' | 'location' | 'gateway' | 'balancer' | 'edge' | 'devices';

export type GraphNode = {
  id: string;
  kind: GraphNodeKind;
  label: string;
  /** The state in a word (the colour never says it alone). */
  word: string;
  state: NodeState;
  /** Facts for the node's face: a second line. */
  detail: string;
  /** The floating IP is on this gateway (in some location). */
  holdsVip: boolean;
  /** The location a collapsed location hides this node with (gateways of one location, its devices). */
  collapsesWith: string | null;
};

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** link: Core's mTLS link to an agent; serves: a gateway of a location; balances: a balancer's backend; clients: a location's devices. */
  kind: 'link' | 'serves' | 'balances' | 'clients';
  label: string | null;
  /** ok: working; down: not (a link down, out of rotation); unknown: not seen. */
  state: NodeState;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const devicesNodeId = (location: string) => `devices:${location}`;

const linkState = (link: string): NodeState => (link === 'up' ? 'ok' : link === 'none' ? 'unknown' : 'down');

export function topologyGraph(t: Topology): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const soleLocation = new Map<string, string | null>();
  for (const l of t.locations) for (const g of l.gateways) soleLocation.set(g, soleLocation.has(g) ? null : l.name);

  nodes.push({ id: t.core.id, kind: 'core', label: 'Core', word: t.core.word, state: t.core.state, detail: `v${t.core.version}`, holdsVip: false, collapsesWith: null });
  for (const l of t.locations) {
    const via = l.failover.mode === 'vrrp' ? `floating IP ${l.failover.vip ?? ''}` : l.failover.mode === 'lb' ? `balancer ${l.failover.balancer ?? ''}` : l.endpoint;
    nodes.push({ id: l.id, kind: 'location', label: l.name, word: l.word, state: l.state, detail: `${l.network} · ${via}`, holdsVip: false, collapsesWith: null });
    const devices = devicesNodeId(l.name);
    const sessions = l.sessions === null ? '' : `, ${l.sessions} in session`;
    nodes.push({ id: devices, kind: 'devices', label: `${l.devices} device${l.devices === 1 ? '' : 's'}`, word: `${l.activePeers} active`, state: l.state === 'down' ? 'down' : 'ok', detail: `${l.name}${sessions}`, holdsVip: false, collapsesWith: l.name });
    // The address the clients dial, short enough to sit on the edge.
    const dialled = l.failover.mode === 'vrrp' ? (l.failover.vip ?? '').replace(/\/\d+$/, '') : l.failover.mode === 'lb' ? `via ${l.failover.balancer ?? ''}` : null;
    edges.push({ id: `clients:${l.name}`, source: l.id, target: devices, kind: 'clients', label: dialled, state: l.state === 'down' ? 'down' : 'ok' });
  }
  for (const g of t.gateways) {
    const detail = g.locations.map((x) => (x.role ? `${x.location}: ${x.role.toLowerCase()}` : x.location)).join(', ');
    nodes.push({ id: g.id, kind: 'gateway', label: g.host, word: g.word, state: g.state, detail, holdsVip: g.locations.some((x) => x.holdsVip), collapsesWith: soleLocation.get(g.host) ?? null });
    edges.push({ id: `link:${g.id}`, source: t.core.id, target: g.id, kind: 'link', label: g.link === 'up' ? null : g.link, state: linkState(g.link) });
    for (const x of g.locations) {
      // Only what the gateway's own face does not say: which location's address it holds, or that it is out.
      const label = x.holdsVip ? 'floating IP' : x.inRotation === false ? 'out of rotation' : x.role === 'FAULT' ? 'fault' : null;
      const down = g.link !== 'up' || g.healthy === false || x.inRotation === false || x.role === 'FAULT';
      edges.push({ id: `serves:${g.host}:${x.location}`, source: g.id, target: nodeId.location(x.location), kind: 'serves', label, state: g.link === 'none' ? 'unknown' : down ? 'down' : 'ok' });
    }
  }
  for (const b of t.balancers) {
    const duties = [...b.locations.map((x) => `${x.location}: ${x.inRotation.length} in rotation`), ...(b.edges ? [`edges: ${b.edges.inRotation.length} in rotation`] : [])];
    nodes.push({ id: b.id, kind: 'balancer', label: b.host, word: b.word, state: b.state, detail: duties.join(', '), holdsVip: false, collapsesWith: null });
    edges.push({ id: `link:${b.id}`, source: t.core.id, target: b.id, kind: 'link', label: b.link === 'up' ? null : b.link, state: linkState(b.link) });
    for (const x of b.locations) edges.push({ id: `balances:${b.host}:${x.location}`, source: b.id, target: nodeId.location(x.location), kind: 'balances', label: `${x.inRotation.length} in rotation${x.out.length ? `, ${x.out.join(', ')} out` : ''}`, state: x.inRotation.length > 0 ? 'ok' : 'down' });
  }
  for (const e of t.edges) {
    nodes.push({ id: e.id, kind: 'edge', label: e.host, word: e.word, state: e.state, detail: t.publicName ? `public ${t.publicName}` : 'no public name', holdsVip: false, collapsesWith: null });
    edges.push({ id: `link:${e.id}`, source: t.core.id, target: e.id, kind: 'link', label: e.link === 'up' ? null : e.link, state: linkState(e.link) });
    const balancer = t.balancers.find((b) => b.edges !== null);
    if (balancer) edges.push({ id: `balances:${balancer.host}:edge:${e.host}`, source: balancer.id, target: e.id, kind: 'balances', label: e.inRotation === false ? 'out of rotation' : null, state: e.inRotation === null ? 'unknown' : e.inRotation ? 'ok' : 'down' });
  }
  return { nodes, edges };
}

/** Each state's colour, for Graphviz and the UI's minimap (the word always goes with it). */
export const STATE_COLOUR: Record<NodeState, string> = { ok: '#2e7d32', warning: '#b26a00', down: '#c62828', unknown: '#9e9e9e' };
const DOT_SHAPE: Record<GraphNodeKind, string> = { core: 'doubleoctagon', location: 'box', gateway: 'component', balancer: 'diamond', edge: 'cds', devices: 'folder' };

/** A DOT string literal: quotes, backslashes and line breaks escaped. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

/** Graphviz (dot) text of the graph: each node's state in its label and its colour. */
export function graphToDot(g: Graph): string {
  const lines = ['digraph bulwark {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#ffffff"];', '  edge [fontname="Helvetica", fontsize=9];'];
  for (const n of g.nodes) {
    const label = [n.label + (n.holdsVip ? ' [floating IP]' : ''), n.word, n.detail].filter(Boolean).join('\n');
    lines.push(`  ${dotString(n.id)} [label=${dotString(label)}, shape=${DOT_SHAPE[n.kind]}, color=${dotString(STATE_COLOUR[n.state])}, penwidth=${n.state === 'ok' ? 1 : 2}];`);
  }
  for (const e of g.edges) {
    const attrs = [`color=${dotString(STATE_COLOUR[e.state])}`, ...(e.label ? [`label=${dotString(e.label)}`] : []), ...(e.kind === 'link' ? ['style=dashed'] : [])];
    lines.push(`  ${dotString(e.source)} -> ${dotString(e.target)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
