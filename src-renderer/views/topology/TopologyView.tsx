// views/topology/: the landing page. The live map of everything Bulwark runs (React Flow, laid
// out by dagre), the problems panel, and the selected node's drawer. It renders the topology
// the stream brings (stores/topology-store.ts) and keeps nothing of its own but view choices.
// Only app/App.tsx imports this folder.
import { Background, Controls, getViewportForBounds, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow, type NodeMouseHandler, type Viewport } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { STATE_COLOUR, topologyGraph } from '../../../src-main/graph/topology-graph.js';
import { useTopology } from '../../stores/topology-store.js';
import { layoutMap, NODE_H, NODE_W, type MapNode } from './layout.js';
import { MapLines } from './MapLines.js';
import { MapNodeView } from './MapNode.js';
import { NodeDrawer } from './NodeDrawer.js';
import { ProblemsPanel } from './ProblemsPanel.js';

const NODE_TYPES = { bulwark: MapNodeView };
const MIN_ZOOM = 0.05;

/**
 * The view that fits every node into a canvas of this size (at most life size): computed before
 * React Flow mounts, so the first render is drawn at the zoom it is seen at (React Flow's own
 * fitView comes a render later, and would draw every node's text once for nothing).
 */
function fittingView(nodes: readonly MapNode[], width: number, height: number): Viewport {
  if (nodes.length === 0) return { x: 0, y: 0, zoom: 1 };
  const xs = nodes.map((n) => n.position.x);
  const ys = nodes.map((n) => n.position.y);
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return getViewportForBounds({ x, y, width: Math.max(...xs) + NODE_W - x, height: Math.max(...ys) + NODE_H - y }, width, height, MIN_ZOOM, 1, 0.1);
}

/** Centres the map on the selected node when the selection comes from outside (a problem's click). */
function FollowSelection({ selected }: { selected: string | null }) {
  const flow = useReactFlow();
  useEffect(() => {
    if (!selected) return;
    const n = flow.getNode(selected);
    if (n) void flow.setCenter(n.position.x + NODE_W / 2, n.position.y + NODE_H / 2, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
  }, [selected, flow]);
  return null;
}

function Toolbar({ locations }: { locations: string[] }) {
  const { filter, problemsOnly, collapsed, setFilter, setProblemsOnly, setCollapsed } = useTopology();
  return (
    <div className="map-toolbar">
      <input type="search" placeholder="Filter by name or state" aria-label="filter" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="map-filter" />
      <label>
        <input type="checkbox" checked={problemsOnly} onChange={(e) => setProblemsOnly(e.target.checked)} data-testid="map-problems-only" /> only what is not ok
      </label>
      <button type="button" onClick={() => setCollapsed(collapsed.size > 0 ? [] : locations)} data-testid="map-collapse-all">
        {collapsed.size > 0 ? 'Expand all' : 'Collapse all'}
      </button>
    </div>
  );
}

/** The minimap draws every node again: it comes a moment after the map, so the map shows first. */
function LateMiniMap() {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setShown(true), 200);
    return () => clearTimeout(t);
  }, []);
  return shown ? <MiniMap pannable zoomable nodeColor={(n) => STATE_COLOUR[(n as MapNode).data.state]} /> : null;
}

export function TopologyView() {
  const { topology, layout, loaded, error, selected, collapsed, filter, problemsOnly, select, load } = useTopology();
  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  const graph = useMemo(() => (topology ? topologyGraph(topology) : null), [topology]);
  const problems = useMemo(() => {
    const m = new Map<string, { count: number; worst: 'critical' | 'warning' }>();
    for (const p of topology?.problems ?? []) {
      if (p.severity === 'info') continue;
      const had = m.get(p.node);
      m.set(p.node, { count: (had?.count ?? 0) + 1, worst: had?.worst === 'critical' || p.severity === 'critical' ? 'critical' : 'warning' });
    }
    return m;
  }, [topology]);
  const map = useMemo(() => {
    // Wait for the first load (Core's layout comes with it) even when the stream came first.
    if (!graph || !loaded) return null;
    const laid = layoutMap(graph, { collapsed, filter, problemsOnly, problems, fromCore: layout });
    if (performance.getEntriesByName('bulwark:map-first').length === 0) performance.mark('bulwark:map-first');
    return laid;
  }, [graph, loaded, collapsed, filter, problemsOnly, problems, layout]);
  // A node whose face did not change keeps its object, so React Flow re-renders only what changed.
  const previous = useRef(new Map<string, { key: string; node: MapNode }>());
  const nodes = useMemo(() => {
    const next = new Map<string, { key: string; node: MapNode }>();
    const out = (map?.nodes ?? []).map((n) => {
      const key = JSON.stringify([n.data, n.position, n.id === selected]);
      const had = previous.current.get(n.id);
      const node = had?.key === key ? had.node : { ...n, selected: n.id === selected };
      next.set(n.id, { key, node });
      return node;
    });
    previous.current = next;
    return out;
  }, [map, selected]);
  const onNodeClick: NodeMouseHandler<MapNode> = (_e, n) => select(n.id);
  // The canvas's size, measured before the map mounts (see fittingView).
  const canvas = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const ready = map !== null;
  useLayoutEffect(() => {
    if (ready && canvas.current) setSize({ width: canvas.current.clientWidth, height: canvas.current.clientHeight });
  }, [ready]);
  // Only the first view is computed: after it the viewer pans and zooms.
  const initial = useRef<Viewport | null>(null);
  if (!initial.current && size && map) initial.current = fittingView(map.nodes, size.width, size.height);

  if (!topology || !map) return <p className="muted">{error ?? 'Loading the topology…'}</p>;
  return (
    <div className="topology" data-testid="topology" data-revision={topology.revision}>
      <div className="map">
        <Toolbar locations={topology.locations.map((l) => l.name)} />
        <div className="map-canvas" ref={canvas}>
          {initial.current ? (
            <ReactFlowProvider>
              <ReactFlow<MapNode>
                nodes={nodes}
                nodeTypes={NODE_TYPES}
                onNodeClick={onNodeClick}
                onPaneClick={() => select(null)}
                nodesConnectable={false}
                nodesDraggable={false}
                defaultViewport={initial.current}
                onlyRenderVisibleElements
                minZoom={MIN_ZOOM}
                proOptions={{ hideAttribution: true }}
              >
                <MapLines lines={map.lines} />
                <Background gap={24} />
                <Controls showInteractive={false} />
                <LateMiniMap />
                <FollowSelection selected={selected} />
              </ReactFlow>
            </ReactFlowProvider>
          ) : null}
        </div>
      </div>
      <div className="side">
        {selected ? <NodeDrawer topology={topology} id={selected} /> : null}
        <ProblemsPanel problems={topology.problems} />
      </div>
    </div>
  );
}
