// The open location's device table: one page of devices.search (PAGE_SIZE rows in name order),
// the search text and where the page starts. The page, not every device, crosses the wire, so a
// location with 10,000 devices loads and searches as fast as one with ten. It reloads on every
// keystroke (an answer older than the newest is dropped), at once on events that change devices,
// sessions or links (read from the app's event feed), and every STATUS_POLL_MS for the live
// columns, which the gateways update without an event.
import { create } from 'zustand';
import type { CoreEvent, DeviceSearchOutput } from '../../src-main/contract/index.js';
import { useApp } from './app-store.js';
import { STATUS_POLL_MS } from './location-status-store.js';

export const PAGE_SIZE = 50;

interface DeviceTableState {
  /** The location whose devices are shown; null when no location page is open. */
  location: string | null;
  /** What the search box holds. */
  query: string;
  /** Where the wanted page starts among the matches. */
  offset: number;
  page: DeviceSearchOutput | null;
  /** The search text `page` answers (the box may already hold more). */
  pageQuery: string;
  error: string | null;
  /** Shows `location`'s devices matching `query`; returns the function that stops (the page's effect cleanup). */
  watch(location: string, query: string): () => void;
  /** A new search text: back to the first page, loaded at once. */
  search(query: string): void;
  /** Another page: `offset` among the matches. */
  goTo(offset: number): void;
  load(): Promise<void>;
}

let seq = 0;
/** The newest request whose answer is shown. */
let shown = 0;
let eventTimer: ReturnType<typeof setTimeout> | undefined;

function relevant(e: CoreEvent): boolean {
  return e.kind.startsWith('device.') || e.kind.startsWith('session.') || e.kind.startsWith('link.') || e.kind === 'location.updated';
}

export const useDeviceTable = create<DeviceTableState>((set, get) => ({
  location: null,
  query: '',
  offset: 0,
  page: null,
  pageQuery: '',
  error: null,
  watch: (location, query) => {
    const same = get().location === location && get().query === query;
    set({ location, query, offset: same ? get().offset : 0, page: same ? get().page : null, error: null });
    void get().load();
    const timer = setInterval(() => void get().load(), STATUS_POLL_MS);
    // Events arrive in bursts (one per committed row): load once after a burst.
    const stopEvents = useApp.subscribe((s, prev) => {
      if (s.lastEventId === prev.lastEventId || !s.events.some((e) => e.id > prev.lastEventId && relevant(e))) return;
      clearTimeout(eventTimer);
      eventTimer = setTimeout(() => void get().load(), 30);
    });
    return () => {
      clearInterval(timer);
      clearTimeout(eventTimer);
      stopEvents();
      if (get().location === location) set({ location: null });
    };
  },
  search: (query) => {
    set({ query, offset: 0 });
    void get().load();
  },
  goTo: (offset) => {
    set({ offset: Math.max(0, offset) });
    void get().load();
  },
  load: async () => {
    const api = useApp.getState().api;
    const { location, query, offset } = get();
    if (!api || !location) return;
    const mine = ++seq;
    try {
      const page = await api.call('devices.search', { location, query, offset, limit: PAGE_SIZE });
      // An older answer, or one for a search or page the user has left, is dropped.
      const now = get();
      if (mine > shown && now.location === location && now.query === query && now.offset === offset) {
        shown = mine;
        // Fewer matches than the page asked for (devices removed): Core gave the last page.
        set({ page, pageQuery: query, offset: page.offset, error: null });
      }
    } catch (err) {
      if (mine > shown && get().location === location) {
        shown = mine;
        set({ error: (err as Error).message });
      }
    }
  },
}));
