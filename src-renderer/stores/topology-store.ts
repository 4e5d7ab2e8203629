// The topology as Core last streamed it (a `topology` message on the event stream, or a
// topology.get when the page opens), and what the map's viewer chose: the selected node, the
// collapsed locations, the filter. Revisions only move forward: an older snapshot is dropped.
import { create } from 'zustand';
import type { Topology, TopologyLayout } from '../../src-main/contract/index.js';
import { useApp } from './app-store.js';

interface TopologyState {
  topology: Topology | null;
  /** Core's layout of the whole map, fetched with the first topology (null when it could not be had). */
  layout: TopologyLayout | null;
  /** The first load finished (the stream may bring a snapshot before it does). */
  loaded: boolean;
  error: string | null;
  selected: string | null;
  collapsed: ReadonlySet<string>;
  filter: string;
  problemsOnly: boolean;
  load(): Promise<void>;
  receive(t: Topology): void;
  select(id: string | null): void;
  toggleCollapsed(location: string): void;
  setCollapsed(locations: string[]): void;
  setFilter(filter: string): void;
  setProblemsOnly(on: boolean): void;
}

/** The load in flight: the page and the stream may both ask at once. */
let loading: Promise<void> | null = null;

export const useTopology = create<TopologyState>((set, get) => ({
  topology: null,
  layout: null,
  loaded: false,
  error: null,
  selected: null,
  collapsed: new Set(),
  filter: '',
  problemsOnly: false,
  load: () =>
    (loading ??= (async () => {
      const api = useApp.getState().api;
      if (!api) return;
      try {
        // Both at once: with Core's layout the map draws without laying out first.
        const [topology, layout] = await Promise.all([api.call('topology.get', {}), api.call('topology.layout', {}).catch(() => null)]);
        set({ layout });
        get().receive(topology);
      } catch (err) {
        set({ error: (err as Error).message });
      } finally {
        set({ loaded: true });
        loading = null;
      }
    })()),
  receive: (t) => {
    const had = get().topology;
    // The same revision twice (topology.get and the stream's first message cross) changes nothing.
    if (had && t.revision <= had.revision && t.core.startedAt === had.core.startedAt) return;
    // bench/topology reads this mark (and bulwark:map-first) to say where a first render's time goes.
    if (!had) performance.mark('bulwark:topology-first');
    set({ topology: t, error: null });
  },
  select: (selected) => set({ selected }),
  toggleCollapsed: (location) =>
    set((s) => {
      const next = new Set(s.collapsed);
      if (!next.delete(location)) next.add(location);
      return { collapsed: next };
    }),
  setCollapsed: (locations) => set({ collapsed: new Set(locations) }),
  setFilter: (filter) => set({ filter }),
  setProblemsOnly: (problemsOnly) => set({ problemsOnly }),
}));
