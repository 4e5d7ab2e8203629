// The map's lines (Core's links, gateways serving locations, balancers, clients) as plain SVG
// paths in one layer under the nodes, inside React Flow's viewport, so they pan and zoom with
// it. Drawn here rather than as React Flow edges: at 50 locations the map has over 300 lines,
// and React Flow's edges (a component, two paths and a measured label each, plus two measured
// handles per node) took most of the first render. Places come from layout.ts.
import { EdgeLabelRenderer, useStore } from '@xyflow/react';
import { memo } from 'react';
import type { MapLine } from './layout.js';
import { FAR_ZOOM } from './MapNode.js';

function Lines({ lines }: { lines: readonly MapLine[] }) {
  // Zoomed out past reading, the labels go as the nodes' words do (MapNode.tsx).
  const far = useStore((s) => s.transform[2] < FAR_ZOOM);
  return (
    <EdgeLabelRenderer>
      <svg className="map-lines" aria-hidden="true">
        {lines.map((l) => (
          <path key={l.id} data-line={l.id} data-state={l.state} className={`map-line map-line-${l.kind} map-line-${l.state}`} d={l.d} />
        ))}
      </svg>
      {lines.map((l) =>
        l.label && !far ? (
          <div key={l.id} className={`map-line-label map-line-${l.state}`} style={{ transform: `translate(-50%, -50%) translate(${l.mid.x}px, ${l.mid.y}px)` }} data-line-label={l.id}>
            {l.label}
          </div>
        ) : null,
      )}
    </EdgeLabelRenderer>
  );
}

const same = (a: { lines: readonly MapLine[] }, b: { lines: readonly MapLine[] }) =>
  a.lines.length === b.lines.length && a.lines.every((l, i) => { const m = b.lines[i]!; return l.id === m.id && l.d === m.d && l.state === m.state && l.label === m.label; });

/** Memoised: a snapshot that moved and changed no line (nearly every one) draws none again. */
export const MapLines = memo(Lines, same);
