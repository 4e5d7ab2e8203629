// A provisioning run as its events tell it: folded one event at a time, the same way for the run
// the Provisioning page follows live and for a past run's page read back from the audit trail. Pure.
import {
  ProvisionFinishedDetails,
  ProvisionHostFinishedDetails,
  ProvisionStartedDetails,
  ProvisionStepDetails,
  ProvisionWaveDetails,
  type CoreEvent,
  type HostApplyResult,
  type HostOutcome,
  type ProvisionApplyOutput,
  type ProvisionStep,
  type StepFailure,
} from '../../src-main/contract/index.js';

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
  /** When it started, from the provision.started event; null until that event arrives. */
  startedAt: string | null;
  id: string;
  /** True when this window started the run; false for one seen on the stream (CLI, another window). */
  mine: boolean;
  /** Who started it, from the provision.started event; null until that event arrives. */
  actor: string | null;
  /** interrupted: read back with no end, and Core says it is not under way (it stopped during the run). */
  state: 'running' | 'finished' | 'interrupted';
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

/** A run this window starts: known before its first event arrives. */
export function newRun(id: string, mine: boolean): Run {
  return { id, mine, actor: null, startedAt: null, state: 'running', ok: null, hosts: [], lastEventId: 0, durationMs: null, wave: null, stopped: [] };
}

/** The run a provision.started event begins (someone else's, or one read back), or null for another kind. */
export function runStartedBy(event: CoreEvent, mine: boolean): Run | null {
  if (event.kind !== 'provision.started') return null;
  const d = ProvisionStartedDetails.safeParse(event.details);
  if (!d.success) return null;
  return { ...newRun(d.data.run, mine), actor: event.actor, startedAt: event.time, hosts: d.data.hosts.map(emptyHost), lastEventId: event.id };
}

export function emptyHost(host: string): HostProgress {
  return { host, step: null, status: null, message: null, steps: [], outcome: null, failure: null, rolledBack: false, changedFiles: null, durationMs: null };
}

export function withHost(run: Run, host: string, change: (h: HostProgress) => HostProgress): Run {
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

export function finished(h: HostProgress, r: HostApplyResult): HostProgress {
  return { ...h, outcome: r.outcome, failure: r.failure ?? h.failure, rolledBack: r.rolledBack, changedFiles: r.changedFiles, durationMs: r.durationMs };
}

/** The run after one more event; the same run for an event of another run, or one already folded in. */
export function foldRunEvent(run: Run, event: CoreEvent): Run {
  if (event.id <= run.lastEventId) return run;
  switch (event.kind) {
    case 'provision.started': {
      const d = ProvisionStartedDetails.safeParse(event.details);
      if (!d.success || d.data.run !== run.id) return run;
      const next = d.data.hosts.reduce((acc, h) => withHost(acc, h, (p) => p), run);
      return { ...next, actor: event.actor, startedAt: event.time, lastEventId: event.id };
    }
    case 'provision.wave': {
      const d = ProvisionWaveDetails.safeParse(event.details);
      if (!d.success || d.data.run !== run.id || d.data.of < 2) return run;
      return { ...run, wave: { index: d.data.index, of: d.data.of, hosts: d.data.hosts, status: d.data.status }, lastEventId: event.id };
    }
    case 'provision.step': {
      const d = ProvisionStepDetails.safeParse(event.details);
      if (!d.success || d.data.run !== run.id) return run;
      return { ...withHost(run, d.data.host, (h) => stepped(h, d.data)), lastEventId: event.id };
    }
    case 'provision.host_finished': {
      // One host is done: show its outcome now, not when the slowest host ends.
      const d = ProvisionHostFinishedDetails.safeParse(event.details);
      if (!d.success || d.data.run !== run.id) return run;
      const r = d.data;
      return { ...withHost(run, r.host, (h) => ({ ...h, outcome: r.outcome, failure: r.failure ?? h.failure, rolledBack: r.rolledBack, durationMs: r.durationMs })), lastEventId: event.id };
    }
    case 'provision.finished': {
      const d = ProvisionFinishedDetails.safeParse(event.details);
      if (!d.success || d.data.run !== run.id) return run;
      const next = Object.entries(d.data.outcomes).reduce((acc, [host, outcome]) => withHost(acc, host, (h) => ({ ...h, outcome: h.outcome ?? outcome })), run);
      const durationMs = run.startedAt ? Date.parse(event.time) - Date.parse(run.startedAt) : run.durationMs;
      return { ...next, state: 'finished', ok: d.data.ok, durationMs: run.durationMs ?? durationMs, lastEventId: event.id };
    }
    default:
      return run;
  }
}

/** A run read back from its events (oldest first); null when they do not include its start. */
export function runFromEvents(events: CoreEvent[]): Run | null {
  const first = events.find((e) => e.kind === 'provision.started');
  const start = first ? runStartedBy(first, false) : null;
  return start ? events.reduce(foldRunEvent, start) : null;
}
