// Provisioning: plan what each host needs, apply it over SSH, uninstall. Progress of an apply
// streams as events (kind "provision.step"), so every client sees it the same way.
import { z } from 'zod';
import { ResourceName } from './common.js';

/** Which hosts: the gateways of one location, one host, or (neither) every host with a role. */
const scopeFields = {
  location: ResourceName.optional(),
  host: ResourceName.optional(),
};

/** A scope names a location or a host, not both. */
function oneScope(v: { location?: string; host?: string }, ctx: z.RefinementCtx): void {
  if (v.location !== undefined && v.host !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], message: 'give either a location or a host, not both' });
  }
}

/** key: a private key (TLS or WireGuard), always secret. */
export const FILE_KINDS = ['runtime', 'program', 'certificate', 'key', 'config', 'unit'] as const;
export const FileKind = z.enum(FILE_KINDS);
export type FileKind = z.infer<typeof FileKind>;

export const FileChange = z.object({
  /** Absolute path on the host. */
  path: z.string(),
  action: z.enum(['add', 'change', 'remove']),
  kind: FileKind,
  /** Size in bytes of the new content; 0 for a removal; null when the apply makes the content (a key made on the spot, a certificate issued then). */
  size: z.number().int().nullable(),
  /** A unified diff (2 lines of context, at most DIFF_LINE_CAP lines) for text configs; null for programs, removals, secrets and content made at apply. */
  diff: z.string().nullable(),
  /** True when the content is secret: it is never shown, diffed or logged. */
  secret: z.boolean(),
});
export type FileChange = z.infer<typeof FileChange>;

/** The longest diff a plan carries; the CLI and the UI show its first lines and say how many more there are. */
export const DIFF_LINE_CAP = 2000;

export const UnitChange = z.object({
  /** e.g. "bulwark-gateway.service". */
  unit: z.string(),
  /** start: new unit; restart: its files changed; reload: only files it re-reads in place changed (keepalived.conf); stop: it is no longer wanted and is removed. */
  action: z.enum(['start', 'restart', 'reload', 'stop']),
});
export type UnitChange = z.infer<typeof UnitChange>;

/** Where and why one host's work stopped. The output never holds secrets. */
export const StepFailure = z.object({
  step: z.string(),
  message: z.string(),
  /** The remote command that failed, when one did. */
  command: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  /** The last lines (at most 20) of that command's output. */
  output: z.array(z.string()),
});
export type StepFailure = z.infer<typeof StepFailure>;

export const HostPlan = z.object({
  host: z.string(),
  roles: z.array(z.string()),
  status: z.enum(['changes', 'up_to_date', 'error']),
  files: z.array(FileChange),
  units: z.array(UnitChange),
  /** Set when status is "error": the host could not be inspected. */
  error: StepFailure.nullable(),
});
export type HostPlan = z.infer<typeof HostPlan>;

/** The order in which an apply changes hosts: rolling (each failover location keeps serving) or every host at once. */
export const RolloutOrder = z.enum(['rolling', 'all_at_once']);
export type RolloutOrder = z.infer<typeof RolloutOrder>;

/** One host's turn in a rollout. */
export const RolloutHost = z.object({
  host: z.string(),
  /** vrrp locations whose floating IP this host holds and hands over (keepalived stops gracefully) before it is changed; `to`: the gateways ready to take it. */
  handovers: z.array(z.object({ location: z.string(), to: z.array(z.string()) })),
  /** lb locations whose load balancer takes this host out of rotation while it is changed. */
  drains: z.array(z.object({ location: z.string(), balancer: z.string() })),
});
export type RolloutHost = z.infer<typeof RolloutHost>;

/** What an admin should know about a location in this rollout, in words to act on. */
export const RolloutNote = z.object({ location: z.string(), message: z.string() });

export const Rollout = z.object({
  order: RolloutOrder,
  /**
   * Hosts changed together, in order; each wave starts once the one before it is done and
   * verified. Wave 0 holds the hosts that serve no failover location (edges, load balancers,
   * gateways of locations with one gateway or no failover), in parallel.
   */
  waves: z.array(z.object({ index: z.number().int(), hosts: z.array(RolloutHost) })),
  /** Worth knowing, not blocking: a location with one gateway, a holder Core cannot see. */
  warnings: z.array(RolloutNote),
  /** Locations that lose service during this rollout, and why; an apply needs allowOutage for them. */
  outages: z.array(RolloutNote),
});
export type Rollout = z.infer<typeof Rollout>;

/** A plan: the scope, and whether to plan the restart of every unit (as `apply --restart` would). */
export const ProvisionPlanInput = z
  .strictObject({
    ...scopeFields,
    /** Plan to restart every Bulwark unit in scope even where nothing changed. */
    restart: z.boolean().default(false),
  })
  .superRefine(oneScope);

export const ProvisionPlanOutput = z.object({
  hosts: z.array(HostPlan),
  /** The order an apply would change the hosts that have changes in. */
  rollout: Rollout,
});
export type ProvisionPlanOutput = z.infer<typeof ProvisionPlanOutput>;

export const ProvisionApplyInput = z
  .strictObject({
    ...scopeFields,
    /** Lets the caller follow this run's progress events before the call returns. */
    runId: z
      .string()
      .regex(/^[a-z0-9-]{8,64}$/, 'use 8-64 lowercase letters, digits or "-", such as a UUID')
      .optional(),
    /** Install missing packages with apt-get on the host instead of failing the preflight. */
    installPackages: z.boolean().default(false),
    /** How many hosts are provisioned at the same time; 1-32, default 8. */
    parallel: z.number().int().min(1).max(32).default(8),
    /** rolling (default): failover locations change one gateway at a time; all_at_once: every host together, an outage for a live location. */
    order: RolloutOrder.default('rolling'),
    /** Go ahead although the rollout's plan says a location loses service (its other gateways are not ready, or all_at_once). */
    allowOutage: z.boolean().default(false),
    /** Restart every Bulwark unit in scope even where nothing changed (after a package upgrade on the hosts), in the same order. */
    restart: z.boolean().default(false),
  })
  .superRefine(oneScope);

export const HostOutcome = z.enum(['applied', 'up_to_date', 'failed', 'skipped']);
export type HostOutcome = z.infer<typeof HostOutcome>;

export const HostApplyResult = z.object({
  host: z.string(),
  outcome: HostOutcome,
  /** Files written or removed. */
  changedFiles: z.number().int(),
  /** Units started, restarted or stopped. */
  units: z.array(UnitChange),
  failure: StepFailure.nullable(),
  /** For a failure: true when the host was returned to its previous files and units. */
  rolledBack: z.boolean(),
  durationMs: z.number().int(),
});
export type HostApplyResult = z.infer<typeof HostApplyResult>;

export const ProvisionApplyOutput = z.object({
  runId: z.string(),
  /** True when every host was applied or already up to date. */
  ok: z.boolean(),
  hosts: z.array(HostApplyResult),
  /** The order the hosts were changed in. */
  rollout: Rollout,
  /** Locations whose rollout stopped at a failed host: the hosts after it keep their old version and the location keeps serving. */
  stopped: z.array(
    z.object({
      location: z.string(),
      /** The host whose failure stopped it. */
      host: z.string(),
      message: z.string(),
      /** The hosts this stop kept from changing (they keep their old version); empty when none came after. */
      kept: z.array(z.string()),
    }),
  ),
  durationMs: z.number().int(),
});
export type ProvisionApplyOutput = z.infer<typeof ProvisionApplyOutput>;

export const HostUninstallInput = z.strictObject({ name: ResourceName });
export const HostUninstallOutput = z.object({
  host: z.string(),
  /** Units stopped and disabled. */
  units: z.array(z.string()),
  /** Files and directories removed. */
  removed: z.array(z.string()),
  /** The roles the host no longer plays ("gateway:hq", "edge"): the next plan leaves it alone. */
  rolesRemoved: z.array(z.string()),
  /** Balancer roles, which belong to a location's failover or the edges' public address: kept, with what to change instead. */
  rolesKept: z.array(z.object({ role: z.string(), message: z.string() })),
});

/** Steps of one host's apply, in order; "rollback" runs only after a failure. */
/** handover: a vrrp master gives up its floating IP; drain/undrain: the load balancer takes the gateway out of rotation and back; settle: Core sees the host linked and in its role again. */
export const PROVISION_STEPS = ['connect', 'preflight', 'inspect', 'upload', 'drain', 'backup', 'install', 'reload', 'handover', 'restart', 'verify', 'settle', 'undrain', 'rollback'] as const;
export const ProvisionStep = z.enum(PROVISION_STEPS);
export type ProvisionStep = z.infer<typeof ProvisionStep>;

/** details of a "provision.step" event. */
export const ProvisionStepDetails = z.object({
  run: z.string(),
  host: z.string(),
  step: ProvisionStep,
  status: z.enum(['started', 'ok', 'failed']),
  message: z.string().optional(),
  failure: StepFailure.optional(),
});
export type ProvisionStepDetails = z.infer<typeof ProvisionStepDetails>;

/** details of "provision.host_finished": one host's end, as soon as it is known. */
export const ProvisionHostFinishedDetails = z.object({
  run: z.string(),
  host: z.string(),
  outcome: HostOutcome,
  rolledBack: z.boolean(),
  durationMs: z.number().int(),
  /** ms from the first unit restart to its verified health; null when no unit restarted. The plan quotes it for a location with one gateway. */
  restartMs: z.number().int().nullable().optional(),
  failure: StepFailure.nullable(),
});
export type ProvisionHostFinishedDetails = z.infer<typeof ProvisionHostFinishedDetails>;

/** details of "provision.started". */
export const ProvisionStartedDetails = z.object({ run: z.string(), hosts: z.array(z.string()) });

/** details of "provision.wave": a rollout wave starts or ends. */
export const ProvisionWaveDetails = z.object({
  run: z.string(),
  index: z.number().int(),
  /** How many waves the rollout has. */
  of: z.number().int(),
  hosts: z.array(z.string()),
  status: z.enum(['started', 'finished']),
});
export type ProvisionWaveDetails = z.infer<typeof ProvisionWaveDetails>;
/** details of "provision.finished": one outcome per host. */
export const ProvisionFinishedDetails = z.object({
  run: z.string(),
  ok: z.boolean(),
  outcomes: z.record(z.string(), HostOutcome),
});

export const ProvisionRunsInput = z.strictObject({
  /** The newest this many runs; 1-100, default 20. */
  limit: z.number().int().min(1).max(100).default(20),
  /** Only this run (an empty list when the audit trail has no such run). */
  run: z
    .string()
    .regex(/^[a-z0-9-]{8,64}$/, 'a run id is 8-64 lowercase letters, digits or "-", as "provision apply" prints it')
    .optional(),
});

/** One provisioning run as the audit trail has it. */
export const ProvisionRunSummary = z.object({
  id: z.string(),
  /** Who started it. */
  actor: z.string(),
  startedAt: z.string(),
  hosts: z.array(z.string()),
  /** interrupted: it never finished (Core stopped during it). */
  state: z.enum(['running', 'finished', 'interrupted']),
  /** True when every host was applied or up to date; null unless finished. */
  ok: z.boolean().nullable(),
  finishedAt: z.string().nullable(),
  /** Each host's outcome, once finished. */
  outcomes: z.record(z.string(), HostOutcome).nullable(),
});
export type ProvisionRunSummary = z.infer<typeof ProvisionRunSummary>;
