// The map's nodes and edges with their places: the shared graph (src-main/graph) narrowed by the
// viewer's choices (collapsed locations, the filter, problems only), laid out left to right by
// dagre (Core, then the agents it links with, the locations they serve, their devices). Pure
// but for a cache of the last layout (a snapshot that changes only states keeps every place).
import { layout as dagreLayout, graphlib } from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';
import type { Graph, GraphEdge, GraphNode } from '../../../src-main/graph/topology-graph.js';

export const NODE_W = 210;
export const NODE_H = 66;

/** problems: how many warnings and critical problems concern the node (information is not counted), and the worst. */
export type MapNodeData = GraphNode & { hidden: number; problems: number; worst: 'critical' | 'warning' | null; collapsed: boolean };
export type MapNode = Node<MapNodeData, 'bulwark'>;
export type MapEdge = Edge<{ kind: GraphEdge['kind']; state: GraphEdge['state'] }>;

export interface ViewChoices {
  collapsed: ReadonlySet<string>;
  filter: string;
  problemsOnly: boolean;
  /** Node id → the warnings and critical problems that concern it. */
  problems: ReadonlyMap<string, { count: number; worst: 'critical' | 'warning' }>;
}

/** Which nodes the viewer sees. */
export function visibleNodes(g: Graph, v: ViewChoices): GraphNode[] {
  const text = v.filter.trim().toLowerCase();
  return g.nodes.filter((n) => {
    if (n.collapsesWith && v.collapsed.has(n.collapsesWith)) return false;
    if (n.kind === 'core') return true;
    if (v.problemsOnly && n.state === 'ok' && !v.problems.has(n.id)) return false;
    return text === '' || `${n.label} ${n.word} ${n.detail}`.toLowerCase().includes(text);
  });
}

/** Each node's top-left corner, laid out by dagre from the nodes and edges alone. */
function place(nodes: readonly string[], edges: readonly GraphEdge[]): Map<string, { x: number; y: number }> {
  const dg = new graphlib.Graph();
  dg.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 150, marginx: 20, marginy: 20, ranker: 'longest-path' });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const id of nodes) dg.setNode(id, { width: NODE_W, height: NODE_H });
  for (const e of edges) dg.setEdge(e.source, e.target);
  dagreLayout(dg);
  return new Map(nodes.map((id) => {
    const p = dg.node(id) as { x: number; y: number };
    return [id, { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 }];
  }));
}

/**
 * The last layout, by the shape it was made for: a new snapshot that changes only states (a
 * role, a holder, health: nearly every one) keeps every place, so dagre runs only when nodes or
 * edges come or go, and nothing on the map jumps.
 */
let lastPlaced: { shape: string; at: Map<string, { x: number; y: number }> } | null = null;

function placed(nodes: readonly string[], edges: readonly GraphEdge[]): Map<string, { x: number; y: number }> {
  const shape = `${nodes.join('|')}#${edges.map((e) => `${e.source}>${e.target}`).join('|')}`;
  if (lastPlaced?.shape !== shape) lastPlaced = { shape, at: place(nodes, edges) };
  return lastPlaced.at;
}

export function layoutMap(g: Graph, v: ViewChoices): { nodes: MapNode[]; edges: MapEdge[] } {
  const shown = visibleNodes(g, v);
  const ids = new Set(shown.map((n) => n.id));
  const edges = g.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const at = placed(shown.map((n) => n.id), edges);
  const hiddenBy = new Map<string, number>();
  for (const n of g.nodes) if (n.collapsesWith && v.collapsed.has(n.collapsesWith)) hiddenBy.set(n.collapsesWith, (hiddenBy.get(n.collapsesWith) ?? 0) + 1);
  return {
    nodes: shown.map((n) => {
      const location = n.kind === 'location' ? n.label : null;
      return {
        id: n.id,
        type: 'bulwark',
        position: at.get(n.id)!,
        width: NODE_W,
        height: NODE_H,
        data: { ...n, hidden: location ? (hiddenBy.get(location) ?? 0) : 0, problems: v.problems.get(n.id)?.count ?? 0, worst: v.problems.get(n.id)?.worst ?? null, collapsed: location !== null && v.collapsed.has(location) },
        draggable: false,
      };
    }),
    edges: edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      label: e.label ?? undefined,
      className: `map-edge map-edge-${e.kind} map-edge-${e.state}`,
      data: { kind: e.kind, state: e.state },
    })),
  };
}
