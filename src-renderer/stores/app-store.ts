// UI state: what Core last told us, plus the event feed. Views read it; only actions write it.
import { create } from 'zustand';
import type { CoreEvent, Edge, Gateway, Host, Location } from '../../src-main/contract/index.js';
import { BulwarkError } from '../../src-main/contract/index.js';
import type { Api } from '../api/client.js';
import { pathOf, type View } from '../routes/routes.js';

export type { View } from '../routes/routes.js';

/** The open location's gateways. Its devices are paged by device-table-store.ts: a location may have 10,000. */
interface LocationDetail {
  name: string;
  gateways: Gateway[];
}

interface AppState {
  api: Api | null;
  authError: string | null;
  status: 'connecting' | 'live' | 'reconnecting';
  view: View;
  locations: Location[];
  hosts: Host[];
  edges: Edge[];
  detail: LocationDetail | null;
  events: CoreEvent[];
  lastEventId: number;
  loadError: string | null;
  /** True once the lists have been read at least once: before that, "no such host" would not be true yet. */
  loaded: boolean;
  setApi(api: Api | null, authError?: string | null): void;
  /** Opens a page: asks the router for its URL (which then shows it). */
  go(view: View): void;
  /** Shows the page at the URL the router is on (only the router calls it). */
  show(view: View): void;
  /** The router's navigate, given by the router when it mounts. */
  navigate: ((path: string) => void) | null;
  refresh(): Promise<void>;
  receive(event: CoreEvent): void;
}

const FEED_SIZE = 50;

export const useApp = create<AppState>((set, get) => ({
  api: null,
  authError: null,
  status: 'connecting',
  view: { kind: 'topology' },
  locations: [],
  hosts: [],
  edges: [],
  detail: null,
  events: [],
  lastEventId: 0,
  loadError: null,
  loaded: false,
  navigate: null,
  setApi: (api, authError = null) => set({ api, authError }),
  go: (view) => {
    const navigate = get().navigate;
    if (navigate) navigate(pathOf(view));
    else get().show(view);
  },
  show: (view) => {
    if (pathOf(view) === pathOf(get().view)) return;
    set({ view, detail: null });
    void get().refresh();
  },
  refresh: async () => {
    const { api, view } = get();
    if (!api) return;
    try {
      const [locations, hosts, edges] = await Promise.all([api.call('locations.list', {}), api.call('hosts.list', {}), api.call('edges.list', {})]);
      let detail: LocationDetail | null = null;
      if (view.kind === 'location' && locations.some((l) => l.name === view.name)) {
        detail = { name: view.name, gateways: await api.call('gateways.list', { location: view.name }) };
      }
      // A slower refresh for a view the user has left must not overwrite the newer one.
      if (get().view !== view) return;
      set({ locations, hosts, edges, detail, loadError: null, loaded: true });
    } catch (err) {
      if (err instanceof BulwarkError && err.code === 'unauthorized') set({ api: null, authError: err.message });
      else set({ loadError: (err as Error).message });
    }
  },
  receive: (event) => {
    if (event.id <= get().lastEventId) return;
    set((s) => ({ events: [...s.events, event].slice(-FEED_SIZE), lastEventId: event.id }));
  },
}));
