// The open location seen live (locations.status): gateway links and data planes and the
// failover; its devices' tunnels come a page at a time (device-table-store.ts).
// Gateways report counters every 2 s without an event, so the page polls while it is open,
// and refreshes at once on the events that change what it shows.
import { create } from 'zustand';
import type { CoreEvent, LocationStatus } from '../../src-main/contract/index.js';
import { useApp } from './app-store.js';

export const STATUS_POLL_MS = 2000;

interface LocationStatusState {
  /** The location being watched; null when no location page is open. */
  name: string | null;
  status: LocationStatus | null;
  error: string | null;
  /** Start polling `name`; returns the function that stops it (the page's effect cleanup). */
  watch(name: string): () => void;
  load(): Promise<void>;
  receive(event: CoreEvent): void;
}

let seq = 0;
/** The newest request whose answer is shown: a slow poll never hides answers forever, and never overwrites a newer one. */
let shown = 0;
let eventTimer: ReturnType<typeof setTimeout> | undefined;

function relevant(kind: CoreEvent['kind']): boolean {
  return kind.startsWith('link.') || kind.startsWith('device.') || kind.startsWith('gateway.') || kind.startsWith('session.') || kind === 'location.updated';
}

export const useLocationStatus = create<LocationStatusState>((set, get) => ({
  name: null,
  status: null,
  error: null,
  watch: (name) => {
    set({ name, status: get().status?.location === name ? get().status : null, error: null });
    void get().load();
    const timer = setInterval(() => void get().load(), STATUS_POLL_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(eventTimer);
      // Another page may already watch something else (React runs the new effect after this cleanup).
      if (get().name === name) set({ name: null });
    };
  },
  load: async () => {
    const api = useApp.getState().api;
    const name = get().name;
    if (!api || !name) return;
    const mine = ++seq;
    try {
      // The devices come a page at a time from the device table's store (devices.search).
      const status = await api.call('locations.status', { name, devices: false });
      // An older answer, or one for a page the user has left, is dropped.
      if (mine > shown && get().name === name) {
        shown = mine;
        set({ status, error: null });
      }
    } catch (err) {
      if (mine > shown && get().name === name) {
        shown = mine;
        set({ error: (err as Error).message });
      }
    }
  },
  receive: (event) => {
    if (!get().name || !relevant(event.kind)) return;
    // Events come in bursts (one per committed row): load once.
    clearTimeout(eventTimer);
    eventTimer = setTimeout(() => void get().load(), 30);
  },
}));
