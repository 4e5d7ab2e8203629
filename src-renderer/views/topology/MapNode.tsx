// One node of the map: its name, its state in a word on a coloured pill (never colour alone),
// a line of facts, the floating IP's badge on its holder, and a location's collapse toggle.
// Zoomed out past reading (the whole of 50 locations), a node is a block in its state's colour
// that keeps the badges and says its name and state on hover and to screen readers: text too
// small to read costs the browser most of a first render and tells the eye nothing.
import { useStore, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { useTopology } from '../../stores/topology-store.js';
import type { MapNode } from './layout.js';

const KIND_LABEL: Record<MapNode['data']['kind'], string> = { core: 'Core', location: 'location', gateway: 'gateway', balancer: 'balancer', edge: 'edge', devices: 'devices' };

/** Below this zoom a node's text is under 6 px: it is drawn as a block. */
export const FAR_ZOOM = 0.45;

function FarFace({ data, selected }: NodeProps<MapNode>) {
  const says = `${KIND_LABEL[data.kind]} ${data.label}: ${data.word}${data.holdsVip ? ', holds the floating IP' : ''}${data.problems > 0 ? `, ${data.problems} problem(s)` : ''}`;
  return (
    <div className={`map-node map-node-far state-${data.state}${selected ? ' selected' : ''}`} data-testid={`node-${data.id}`} data-state={data.state} title={says} aria-label={says} role="img">
      {data.holdsVip ? <span className="vip-badge" data-testid={`vip-${data.id}`} /> : null}
      {data.problems > 0 ? <span className={`map-node-problems severity-${data.worst}`} /> : null}
    </div>
  );
}

function MapNodeFace(props: NodeProps<MapNode>) {
  const far = useStore((s) => s.transform[2] < FAR_ZOOM);
  return far ? <FarFace {...props} /> : <NearFace {...props} />;
}

function NearFace({ data, selected }: NodeProps<MapNode>) {
  const toggle = useTopology((s) => s.toggleCollapsed);
  return (
    <div className={`map-node map-node-${data.kind} state-${data.state}${selected ? ' selected' : ''}`} data-testid={`node-${data.id}`} data-state={data.state}>
      <div className="map-node-head">
        <span className="map-node-kind">{KIND_LABEL[data.kind]}</span>
        <strong className="map-node-label" title={data.label}>
          {data.label}
        </strong>
        {data.holdsVip ? (
          <span className="vip-badge" data-testid={`vip-${data.id}`} title="holds the floating IP">
            VIP
          </span>
        ) : null}
      </div>
      <div className="map-node-foot">
        <span className={`pill state-${data.state}`} data-testid={`word-${data.id}`}>
          {data.word}
        </span>
        <span className="map-node-detail" title={data.detail}>
          {data.detail}
        </span>
      </div>
      {data.problems > 0 ? (
        <span className={`map-node-problems severity-${data.worst}`} title={`${data.problems} ${data.worst === 'critical' ? 'critical problem(s)' : 'warning(s)'}: see the problems panel`}>
          {data.problems}
        </span>
      ) : null}
      {data.kind === 'location' ? (
        <button
          type="button"
          className="map-node-collapse nodrag"
          onClick={(e) => {
            e.stopPropagation();
            toggle(data.label);
          }}
          title={data.collapsed ? 'show its gateways and devices' : 'hide its gateways and devices'}
        >
          {data.collapsed ? `+${data.hidden}` : '−'}
        </button>
      ) : null}
    </div>
  );
}

/** Memoised: a node re-renders only when its own face changed. */
export const MapNodeView = memo(MapNodeFace);
