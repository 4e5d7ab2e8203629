// Provisioning state: the chosen scope, the last plan, and the run the view follows. A run's
// per-host progress comes from "provision.step" events while provision.apply is still running;
// the call's result only fills in what the events cannot say (changed files, durations).
import { create } from 'zustand';
import type { CoreEvent, HostPlan, Rollout } from '../../src-main/contract/index.js';
import { useApp } from './app-store.js';
import { finished, foldRunEvent, newRun, runFromEvents, runStartedBy, withHost, type Run } from './run-fold.js';

export type { HostProgress, Run } from './run-fold.js';
export type Scope = { kind: 'all' } | { kind: 'location'; name: string } | { kind: 'host'; name: string };

export interface PlanResult {
  /** Counts up with each plan, so the view knows a new plan from the one it showed. */
  id: number;
  scope: Scope;
  /** Whether it plans the restart of every unit. */
  restart: boolean;
  hosts: HostPlan[];
  /** The order an apply would change the hosts in. */
  rollout: Rollout;
  /** True once a run finished after this plan was made: the host may differ from it now. */
  stale: boolean;
}

interface ProvisionState {
  scope: Scope;
  installPackages: boolean;
  /** Restart every unit in scope even where nothing changed (rolling). */
  restart: boolean;
  /** Go ahead although a location loses service. */
  allowOutage: boolean;
  planning: boolean;
  plan: PlanResult | null;
  planError: string | null;
  applying: boolean;
  run: Run | null;
  applyError: string | null;
  /** The run a run page shows (read back from its events, then kept live); its id, and why it could not be read. */
  viewed: Run | null;
  viewedId: string | null;
  viewError: string | null;
  setScope(scope: Scope): void;
  setInstallPackages(on: boolean): void;
  setRestart(on: boolean): void;
  setAllowOutage(on: boolean): void;
  makePlan(): Promise<void>;
  apply(): Promise<void>;
  receive(event: CoreEvent): void;
  /** Reads a run back for its page. */
  openRun(id: string): Promise<void>;
}

export function scopeInput(scope: Scope): { location?: string; host?: string } {
  return scope.kind === 'location' ? { location: scope.name } : scope.kind === 'host' ? { host: scope.name } : {};
}

/** 8-64 of [a-z0-9-] as the contract asks. crypto.randomUUID exists only in secure contexts;
 * getRandomValues also works for a UI served over plain HTTP on a LAN address. */
function newRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Why Apply cannot be clicked now, in words for the button's hint; null when it can. An apply
 * follows a plan of the same scope and options, made since the last run, with something to do.
 */
export function whyNoApply(s: Pick<ProvisionState, 'plan' | 'planning' | 'applying' | 'run' | 'scope' | 'restart'>): string | null {
  if (s.applying || s.run?.state === 'running') return 'A run is under way.';
  if (s.planning) return 'Planning…';
  if (!s.plan || s.plan.scope !== s.scope || s.plan.restart !== s.restart) return 'Plan first: Apply puts on the hosts what the plan shows.';
  if (s.plan.stale) return 'A run finished since this plan: plan again.';
  if (!s.plan.hosts.some((h) => h.status === 'changes')) return 'Nothing to apply: the plan has no changes.';
  return null;
}

let planCount = 0;

function staled(plan: PlanResult | null): PlanResult | null {
  return plan ? { ...plan, stale: true } : null;
}

export const useProvision = create<ProvisionState>((set, get) => ({
  scope: { kind: 'all' },
  installPackages: false,
  restart: false,
  allowOutage: false,
  planning: false,
  plan: null,
  planError: null,
  applying: false,
  run: null,
  applyError: null,
  viewed: null,
  viewedId: null,
  viewError: null,
  setScope: (scope) => set({ scope, plan: null, planError: null, applyError: null }),
  setInstallPackages: (installPackages) => set({ installPackages }),
  // The plan was made with the other setting: it no longer says what an apply would do.
  setRestart: (restart) => set((s) => ({ restart, plan: s.plan && s.plan.restart !== restart ? null : s.plan })),
  setAllowOutage: (allowOutage) => set({ allowOutage }),
  makePlan: async () => {
    const api = useApp.getState().api;
    if (!api || get().planning) return;
    const { scope, restart } = get();
    // A new plan replaces the last run's result on the page: what is shown is the plan to apply.
    set((s) => ({ planning: true, planError: null, applyError: null, run: s.run?.state === 'finished' ? null : s.run }));
    try {
      const r = await api.call('provision.plan', { ...scopeInput(scope), restart });
      if (get().scope === scope && get().restart === restart) set({ plan: { id: ++planCount, scope, restart, hosts: r.hosts, rollout: r.rollout, stale: false } });
    } catch (err) {
      set({ planError: (err as Error).message, plan: null });
    } finally {
      set({ planning: false });
    }
  },
  apply: async () => {
    const api = useApp.getState().api;
    if (!api || whyNoApply(get()) !== null) return;
    const id = newRunId();
    const { scope, installPackages, restart, allowOutage } = get();
    set({ applying: true, applyError: null, run: newRun(id, true) });
    try {
      const r = await api.call('provision.apply', { ...scopeInput(scope), runId: id, installPackages, restart, allowOutage });
      set((s) => {
        if (s.run?.id !== id) return {};
        const run = r.hosts.reduce((acc, h) => withHost(acc, h.host, (p) => finished(p, h)), s.run);
        return { run: { ...run, state: 'finished', ok: r.ok, durationMs: r.durationMs, stopped: r.stopped }, plan: staled(s.plan) };
      });
    } catch (err) {
      // Refused before it started (scope, busy host): nothing to follow. After it started
      // (connection lost), the events still say how it ends.
      set((s) => ({ applyError: (err as Error).message, run: s.run?.id === id && s.run.hosts.length === 0 ? null : s.run }));
    } finally {
      set({ applying: false });
    }
  },
  receive: (event) => {
    const { run, applying, viewed } = get();
    if (viewed) set({ viewed: foldRunEvent(viewed, event) });
    if (event.kind === 'provision.started' && run?.id !== runStartedBy(event, false)?.id) {
      // Someone else's run (the CLI, another window): follow it while ours is not running.
      const theirs = runStartedBy(event, false);
      if (theirs && !applying && run?.state !== 'running') set({ run: theirs, applyError: null });
      return;
    }
    if (!run) return;
    const next = foldRunEvent(run, event);
    if (next === run) return;
    set((s) => ({ run: next, plan: next.state === 'finished' && run.state !== 'finished' ? staled(s.plan) : s.plan }));
  },
  openRun: async (id) => {
    const api = useApp.getState().api;
    if (!api) return;
    set({ viewed: null, viewedId: id, viewError: null });
    try {
      const [events, [summary]] = await Promise.all([api.call('events.list', { run: id, limit: 1000 }), api.call('provision.runs', { run: id })]);
      if (get().viewedId !== id) return;
      const run = runFromEvents(events);
      if (!run) set({ viewError: `There is no provisioning run ${id} in the audit trail.` });
      else set({ viewed: summary?.state === 'interrupted' && run.state === 'running' ? { ...run, state: 'interrupted' } : run });
    } catch (err) {
      if (get().viewedId === id) set({ viewError: (err as Error).message });
    }
  },
}));
