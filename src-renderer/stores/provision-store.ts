// Provisioning state: the chosen scope, the last plan, and the run the view follows. A run's
// per-host progress comes from "provision.step" events while provision.apply is still running;
// the call's result only fills in what the events cannot say (changed files, durations).
import { create } from 'zustand';
import {
  ProvisionFinishedDetails,
  ProvisionHostFinishedDetails,
  ProvisionStartedDetails,
  ProvisionStepDetails,
  ProvisionWaveDetails,
  type CoreEvent,
  type HostApplyResult,
  type HostOutcome,
  type HostPlan,
  type ProvisionApplyOutput,
  type ProvisionStep,
  type Rollout,
  type StepFailure,
} from '../../src-main/contract/index.js';
import { useApp } from './app-store.js';

export type Scope = { kind: 'all' } | { kind: 'location'; name: string } | { kind: 'host'; name: string };
export type StepStatus = ProvisionStepDetails['status'];

export interface HostProgress {
  host: string;
  /** The step reported last; null until the host's first event. */
  step: ProvisionStep | null;
  status: StepStatus | null;
  message: string | null;
  /** Every step seen so far, in order, each with its latest status. */
  steps: { step: ProvisionStep; status: StepStatus }[];
  /** Null while the host is still being worked on. */
  outcome: HostOutcome | null;
  failure: StepFailure | null;
  rolledBack: boolean;
  /** From the call's result; null for a run followed only through events. */
  changedFiles: number | null;
  durationMs: number | null;
}

export interface Run {
  id: string;
  /** True when this window started the run; false for one seen on the stream (CLI, another window). */
  mine: boolean;
  /** Who started it, from the provision.started event; null until that event arrives. */
  actor: string | null;
  state: 'running' | 'finished';
  /** True when every host was applied or already up to date; null while running. */
  ok: boolean | null;
  hosts: HostProgress[];
  /** The newest event applied to this run: a stream that resumes may send one again. */
  lastEventId: number;
  durationMs: number | null;
  /** The rollout wave under way (or last finished); null before the first or for a run of one wave. */
  wave: { index: number; of: number; hosts: string[]; status: ProvisionWaveDetails['status'] } | null;
  /** From the call's result: locations whose rollout stopped at a failed host. */
  stopped: ProvisionApplyOutput['stopped'];
}

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
  setScope(scope: Scope): void;
  setInstallPackages(on: boolean): void;
  setRestart(on: boolean): void;
  setAllowOutage(on: boolean): void;
  makePlan(): Promise<void>;
  apply(): Promise<void>;
  receive(event: CoreEvent): void;
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

function emptyHost(host: string): HostProgress {
  return { host, step: null, status: null, message: null, steps: [], outcome: null, failure: null, rolledBack: false, changedFiles: null, durationMs: null };
}

function withHost(run: Run, host: string, change: (h: HostProgress) => HostProgress): Run {
  const i = run.hosts.findIndex((h) => h.host === host);
  const hosts = i < 0 ? [...run.hosts, change(emptyHost(host))] : run.hosts.map((h, j) => (j === i ? change(h) : h));
  return { ...run, hosts };
}

function stepped(h: HostProgress, d: ProvisionStepDetails): HostProgress {
  const i = h.steps.findIndex((s) => s.step === d.step);
  const steps = i < 0 ? [...h.steps, { step: d.step, status: d.status }] : h.steps.map((s, j) => (j === i ? { step: d.step, status: d.status } : s));
  // A rollback's own failure is shown as part of the step trail; the failure that matters is the one that caused it.
  const failure = d.status === 'failed' && d.failure && d.step !== 'rollback' ? d.failure : h.failure;
  return { ...h, step: d.step, status: d.status, message: d.message ?? null, steps, failure };
}

function finished(h: HostProgress, r: HostApplyResult): HostProgress {
  return { ...h, outcome: r.outcome, failure: r.failure ?? h.failure, rolledBack: r.rolledBack, changedFiles: r.changedFiles, durationMs: r.durationMs };
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
    set({ applying: true, applyError: null, run: { id, mine: true, actor: null, state: 'running', ok: null, hosts: [], lastEventId: 0, durationMs: null, wave: null, stopped: [] } });
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
    if (event.kind === 'provision.started') {
      const d = ProvisionStartedDetails.safeParse(event.details);
      if (!d.success) return;
      const { run, applying } = get();
      if (run?.id === d.data.run) {
        if (event.id <= run.lastEventId) return;
        const next = d.data.hosts.reduce((acc, h) => withHost(acc, h, (p) => p), run);
        set({ run: { ...next, actor: event.actor, lastEventId: event.id } });
      } else if (!applying && run?.state !== 'running') {
        // Someone else's run (the CLI, another window): follow it while ours is not running.
        set({
          run: { id: d.data.run, mine: false, actor: event.actor, state: 'running', ok: null, hosts: d.data.hosts.map(emptyHost), lastEventId: event.id, durationMs: null, wave: null, stopped: [] },
          applyError: null,
        });
      }
      return;
    }
    if (event.kind === 'provision.wave') {
      const d = ProvisionWaveDetails.safeParse(event.details);
      const run = get().run;
      if (!d.success || run?.id !== d.data.run || event.id <= run.lastEventId || d.data.of < 2) return;
      set({ run: { ...run, wave: { index: d.data.index, of: d.data.of, hosts: d.data.hosts, status: d.data.status }, lastEventId: event.id } });
      return;
    }
    if (event.kind === 'provision.step') {
      const d = ProvisionStepDetails.safeParse(event.details);
      const run = get().run;
      if (!d.success || run?.id !== d.data.run || event.id <= run.lastEventId) return;
      set({ run: { ...withHost(run, d.data.host, (h) => stepped(h, d.data)), lastEventId: event.id } });
      return;
    }
    if (event.kind === 'provision.host_finished') {
      // One host is done: show its outcome now, not when the slowest host ends.
      const d = ProvisionHostFinishedDetails.safeParse(event.details);
      const run = get().run;
      if (!d.success || run?.id !== d.data.run || event.id <= run.lastEventId) return;
      const r = d.data;
      set({ run: { ...withHost(run, r.host, (h) => ({ ...h, outcome: r.outcome, failure: r.failure ?? h.failure, rolledBack: r.rolledBack, durationMs: r.durationMs })), lastEventId: event.id } });
      return;
    }
    if (event.kind === 'provision.finished') {
      const d = ProvisionFinishedDetails.safeParse(event.details);
      const run = get().run;
      if (!d.success || run?.id !== d.data.run || event.id <= run.lastEventId) return;
      const next = Object.entries(d.data.outcomes).reduce((acc, [host, outcome]) => withHost(acc, host, (h) => ({ ...h, outcome: h.outcome ?? outcome })), run);
      set((s) => ({ run: { ...next, state: 'finished', ok: d.data.ok, lastEventId: event.id }, plan: staled(s.plan) }));
    }
  },
}));
