// views/topology/: the landing page. The live map of everything Bulwark runs (React Flow, laid
// out by dagre), the problems panel, and the selected node's drawer. It renders the topology
// the stream brings (stores/topology-store.ts) and keeps nothing of its own but view choices.
// Only app/App.tsx imports this folder.
import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, useReactFlow, type NodeMouseHandler } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { STATE_COLOUR, topologyGraph } from '../../../src-main/graph/topology-graph.js';
import { useTopology } from '../../stores/topology-store.js';
import { layoutMap, type MapEdge, type MapNode } from './layout.js';
import { MapNodeView } from './MapNode.js';
import { NodeDrawer } from './NodeDrawer.js';
import { ProblemsPanel } from './ProblemsPanel.js';

const NODE_TYPES = { bulwark: MapNodeView };

/** Centres the map on the selected node when the selection comes from outside (a problem's click). */
function FollowSelection({ selected }: { selected: string | null }) {
  const flow = useReactFlow();
  useEffect(() => {
    if (!selected) return;
    const n = flow.getNode(selected);
    if (n) void flow.setCenter(n.position.x + 105, n.position.y + 33, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
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
  const { topology, error, selected, collapsed, filter, problemsOnly, select, load } = useTopology();
  useEffect(() => {
    if (!topology) void load();
  }, [topology, load]);
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
    if (!graph) return null;
    const laid = layoutMap(graph, { collapsed, filter, problemsOnly, problems });
    if (performance.getEntriesByName('bulwark:map-first').length === 0) performance.mark('bulwark:map-first');
    return laid;
  }, [graph, collapsed, filter, problemsOnly, problems]);
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

  if (!topology || !map) return <p className="muted">{error ?? 'Loading the topology…'}</p>;
  return (
    <div className="topology" data-testid="topology" data-revision={topology.revision}>
      <div className="map">
        <Toolbar locations={topology.locations.map((l) => l.name)} />
        <ReactFlowProvider>
          <ReactFlow<MapNode, MapEdge>
            nodes={nodes}
            edges={map.edges}
            nodeTypes={NODE_TYPES}
            onNodeClick={onNodeClick}
            onPaneClick={() => select(null)}
            nodesConnectable={false}
            nodesDraggable={false}
            fitView
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={24} />
            <Controls showInteractive={false} />
            <LateMiniMap />
            <FollowSelection selected={selected} />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
      <div className="side">
        {selected ? <NodeDrawer topology={topology} id={selected} /> : null}
        <ProblemsPanel problems={topology.problems} />
      </div>
    </div>
  );
}
