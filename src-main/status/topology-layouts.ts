// The map's whole layout, kept ready by Core (topology.layout): laying out 250 nodes takes a
// browser that just opened a page a few hundred milliseconds of cold JavaScript, and Core, which
// stays warm, does it once per shape. After a commit that may change what the map holds (a
// location, a gateway, an edge added or removed), it lays out again a moment later, off the
// request path; a change of state (nearly every change) keeps the layout. Only system/ imports it.
import type { KnownEvent, Topology, TopologyLayout } from '../contract/index.js';
import { topologyGraph } from '../graph/topology-graph.js';
import { place, shapeOf } from '../graph/topology-layout.js';

/** After a commit, wait this long before laying out: a burst of commits (a setup script) lays out once. */
const SETTLE_MS = 500;

export class TopologyLayouts {
  private last: TopologyLayout | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly topology: () => Topology) {
    this.soon();
  }

  /** The layout of the topology as of now: the kept one when the shape is the same. */
  get(): TopologyLayout {
    const g = topologyGraph(this.topology());
    const nodes = g.nodes.map((n) => n.id);
    if (this.last?.shape !== shapeOf(nodes, g.edges)) this.last = place(nodes, g.edges);
    return this.last;
  }

  committed(events: KnownEvent[]): void {
    if (events.every((e) => e.kind === 'provision.step')) return;
    this.soon();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private soon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.get();
    }, SETTLE_MS);
    this.timer.unref?.();
  }
}
