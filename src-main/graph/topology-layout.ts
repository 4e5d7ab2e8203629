// The map's places: each node's top-left corner, laid out left to right by dagre (Core, then the
// agents it links with, the locations they serve, their devices) from the nodes and edges alone.
// Pure. Core lays out the whole graph ahead (status/topology-layouts.ts) so a page that opens
// draws at once; the UI lays out what its viewer narrowed (collapsed, filtered) itself.
import { layout as dagreLayout, graphlib } from '@dagrejs/dagre';
import type { TopologyLayout } from '../contract/index.js';
import type { GraphEdge } from './topology-graph.js';

/** The size of a node's face on the map (the UI's CSS draws it this size). */
export const NODE_W = 210;
export const NODE_H = 66;

type Ends = Pick<GraphEdge, 'source' | 'target'>;

/** What a layout depends on: which nodes, in order, and which edges. Equal shapes, equal places. */
export function shapeOf(nodes: readonly string[], edges: readonly Ends[]): string {
  return `${nodes.join('|')}#${edges.map((e) => `${e.source}>${e.target}`).join('|')}`;
}

/** Each node's top-left corner, rounded to a pixel. */
export function place(nodes: readonly string[], edges: readonly Ends[]): TopologyLayout {
  const dg = new graphlib.Graph();
  dg.setGraph({ rankdir: 'LR', nodesep: 16, ranksep: 150, marginx: 20, marginy: 20, ranker: 'longest-path' });
  dg.setDefaultEdgeLabel(() => ({}));
  for (const id of nodes) dg.setNode(id, { width: NODE_W, height: NODE_H });
  for (const e of edges) dg.setEdge(e.source, e.target);
  dagreLayout(dg);
  const places: TopologyLayout['places'] = {};
  for (const id of nodes) {
    const p = dg.node(id) as { x: number; y: number };
    places[id] = { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) };
  }
  return { shape: shapeOf(nodes, edges), places };
}
