// The map's nodes and lines with their places: the shared graph (src-main/graph) narrowed by the
// viewer's choices (collapsed locations, the filter, problems only), placed by
// src-main/graph/topology-layout.ts (Core's ready layout of the whole map, or here), and each
// line's path from its source's right side to its target's left side. Pure but for a cache of
// the last layout (a snapshot that changes only states keeps every place).
import type { Node } from '@xyflow/react';
import type { TopologyLayout } from '../../../src-main/contract/index.js';
import type { Graph, GraphEdge, GraphNode } from '../../../src-main/graph/topology-graph.js';
import { NODE_H, NODE_W, place, shapeOf } from '../../../src-main/graph/topology-layout.js';

export { NODE_H, NODE_W };

/** problems: how many warnings and critical problems concern the node (information is not counted), and the worst. */
export type MapNodeData = GraphNode & { hidden: number; problems: number; worst: 'critical' | 'warning' | null; collapsed: boolean };
export type MapNode = Node<MapNodeData, 'bulwark'>;
/** A line of the map, drawn by MapLines: its SVG path, and the middle where its label sits. */
export type MapLine = Pick<GraphEdge, 'id' | 'kind' | 'state' | 'label'> & { d: string; mid: { x: number; y: number } };

export interface ViewChoices {
  collapsed: ReadonlySet<string>;
  filter: string;
  problemsOnly: boolean;
  /** Node id → the warnings and critical problems that concern it. */
  problems: ReadonlyMap<string, { count: number; worst: 'critical' | 'warning' }>;
  /** Core's layout of the whole map (topology.layout), used when the shape is the same. */
  fromCore: TopologyLayout | null;
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

/**
 * The last layout, by the shape it was made for: a new snapshot that changes only states (a
 * role, a holder, health: nearly every one) keeps every place, so nothing on the map jumps. A
 * shape Core laid out already (the whole map, when the page opens) is taken from Core; any
 * other (a location collapsed, a filter) is laid out here.
 */
let lastPlaced: TopologyLayout | null = null;

function placed(nodes: readonly string[], edges: readonly GraphEdge[], fromCore: TopologyLayout | null): TopologyLayout['places'] {
  const shape = shapeOf(nodes, edges);
  if (lastPlaced?.shape !== shape) lastPlaced = fromCore?.shape === shape ? fromCore : place(nodes, edges);
  return lastPlaced.places;
}

/** A horizontal S-curve from (x1, y1) to (x2, y2); its middle is halfway between the two. */
export function curve(x1: number, y1: number, x2: number, y2: number): Pick<MapLine, 'd' | 'mid'> {
  const dx = Math.max(40, Math.abs(x2 - x1) / 2);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { d: `M${r(x1)},${r(y1)} C${r(x1 + dx)},${r(y1)} ${r(x2 - dx)},${r(y2)} ${r(x2)},${r(y2)}`, mid: { x: r((x1 + x2) / 2), y: r((y1 + y2) / 2) } };
}

export function layoutMap(g: Graph, v: ViewChoices): { nodes: MapNode[]; lines: MapLine[] } {
  const shown = visibleNodes(g, v);
  const ids = new Set(shown.map((n) => n.id));
  const edges = g.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const at = placed(shown.map((n) => n.id), edges, v.fromCore);
  const hiddenBy = new Map<string, number>();
  for (const n of g.nodes) if (n.collapsesWith && v.collapsed.has(n.collapsesWith)) hiddenBy.set(n.collapsesWith, (hiddenBy.get(n.collapsesWith) ?? 0) + 1);
  return {
    nodes: shown.map((n) => {
      const location = n.kind === 'location' ? n.label : null;
      return {
        id: n.id,
        type: 'bulwark',
        position: at[n.id]!,
        width: NODE_W,
        height: NODE_H,
        data: { ...n, hidden: location ? (hiddenBy.get(location) ?? 0) : 0, problems: v.problems.get(n.id)?.count ?? 0, worst: v.problems.get(n.id)?.worst ?? null, collapsed: location !== null && v.collapsed.has(location) },
        draggable: false,
      };
    }),
    lines: edges.map((e) => {
      const [from, to] = [at[e.source]!, at[e.target]!];
      return { id: e.id, kind: e.kind, state: e.state, label: e.label, ...curve(from.x + NODE_W, from.y + NODE_H / 2, to.x, to.y + NODE_H / 2) };
    }),
  };
}
