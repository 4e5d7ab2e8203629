// The work order Core uploads with each apply, and the progress lines the host-apply program
// prints back. The program runs on the host as root, so a lost SSH connection cannot leave a
// host half-changed: it finishes, or it rolls itself back.
import { z } from 'zod';
import { AgentRoleSchema } from './agent-config.js';

export const HostApplyFile = z.strictObject({
  /** Absolute destination path. */
  path: z.string(),
  /** File name inside the staging directory. */
  staged: z.string(),
  mode: z.number().int(),
  sha256: z.string(),
});

export const HostApplyOrder = z.strictObject({
  run: z.string(),
  staging: z.string(),
  backup: z.string(),
  /** Written in this order (programs, then configs, then units). */
  install: z.array(HostApplyFile),
  remove: z.array(z.string()),
  /** Directories that must exist, with their mode, created parent first. */
  dirs: z.array(z.strictObject({ path: z.string(), mode: z.number().int() })),
  /** Directories that units create (StateDirectory); removed again if a rollback undoes a first start. */
  stateDirs: z.array(z.string()),
  units: z.strictObject({
    reload: z.boolean(),
    start: z.array(z.string()),
    restart: z.array(z.string()),
    /** Units that re-read their configuration in place (systemctl reload), where that is enough. */
    refresh: z.array(z.string()).default([]),
    stop: z.array(z.string()),
  }),
  /**
   * vrrp, rolling order: a host that holds one of these floating IPs when its units are about to
   * restart gives it up first. Stopping keepalived gracefully sends a priority-0 advert, so a
   * standby takes over at once (with Bulwark's handshakes) instead of after the master-down
   * timeout; keepalived then starts again with the restarts, as BACKUP (nopreempt). null: no
   * handover (all at once, or no floating IP here).
   */
  handover: z
    .strictObject({ unit: z.string(), vips: z.array(z.strictObject({ location: z.string(), interface: z.string(), address: z.string() })) })
    .nullable()
    .default(null),
  /** After the restarts: each unit must be active and its health endpoint must report this config. */
  /** url null: the unit being active (and staying so for a moment) is the check. */
  verify: z.array(
    z.strictObject({
      unit: z.string(),
      url: z.string().nullable(),
      configPath: z.string(),
      configSha256: z.string(),
      /** A gateway with floating IPs: its health must also name a VRRP role (MASTER or BACKUP) for each, so the next gateway's turn finds a standby. */
      vrrpRoles: z.boolean().default(false),
    }),
  ),
  /** Seconds to wait for each verification. */
  verifyTimeoutS: z.number().int(),
  /** Bulwark's record of what it installed; written last. */
  manifest: z.strictObject({ path: z.string(), content: z.string() }),
});
export type HostApplyOrder = z.infer<typeof HostApplyOrder>;

/** One line of the program's stdout. */
export const HostApplyLine = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('step'),
    step: z.enum(['backup', 'install', 'reload', 'handover', 'restart', 'verify', 'rollback']),
    status: z.enum(['started', 'ok', 'failed']),
    message: z.string().optional(),
    command: z.string().optional(),
    exitCode: z.number().int().nullable().optional(),
    output: z.array(z.string()).optional(),
  }),
  z.strictObject({
    type: z.literal('result'),
    outcome: z.enum(['applied', 'rolled_back', 'rollback_failed']),
    message: z.string(),
  }),
]);
export type HostApplyLine = z.infer<typeof HostApplyLine>;

/** Bulwark's record on the host of what it installed (/var/lib/bulwark/manifest.json). */
export const HostManifest = z.object({
  version: z.literal(1),
  run: z.string(),
  appliedAt: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string(), mode: z.number().int() })),
  units: z.array(z.string()),
  dirs: z.array(z.string()),
  /** The Bulwark version that wrote it (absent before bundles: read as unknown). */
  bulwarkVersion: z.string().optional(),
  /** When Core made what is installed: an apply's start, or a bundle's export time. A bundle made before it is a downgrade. */
  madeAt: z.string().optional(),
  /** Set when an offline bundle installed it. */
  bundle: z.object({ id: z.string(), createdAt: z.string() }).optional(),
});
export type HostManifest = z.infer<typeof HostManifest>;

/**
 * A unit a host should run, as Core works it out and as a bundle carries it to the host: what
 * its change means (restart or reload) and how host-apply verifies it.
 */
export const DesiredUnit = z.strictObject({
  /** e.g. "bulwark-gateway.service". */
  unit: z.string(),
  /** The agent it runs; null for keepalived or HAProxy. */
  role: AgentRoleSchema.nullable(),
  /** Paths whose change means a restart. */
  dependsOn: z.array(z.string()),
  /** Those of dependsOn that the unit re-reads on `systemctl reload`: a change to these alone needs no restart. */
  reloadOn: z.array(z.string()),
  /** The agent's health endpoint, which must report configSha256; null: being active is enough. */
  healthUrl: z.string().nullable(),
  configPath: z.string(),
  /** SHA-256 of the config the agent must report once restarted. */
  configSha256: z.string(),
});
export type DesiredUnit = z.infer<typeof DesiredUnit>;
