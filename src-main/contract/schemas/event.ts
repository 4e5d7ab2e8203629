// The audit trail and the one typed event stream: every change Core makes is one of these.
import { z } from 'zod';
import { Timestamp } from './common.js';
import { AgentRoleSchema } from './agent-config.js';
import { ProvisionFinishedDetails, ProvisionHostFinishedDetails, ProvisionStartedDetails, ProvisionStepDetails, ProvisionWaveDetails } from './provision.js';
import { SessionEndReason } from './session.js';

const FromTo = <T extends z.ZodType>(t: T) => z.object({ from: t, to: t });
const LocationRef = z.object({ location: z.string(), host: z.string() });
const DeviceFacts = z.object({ location: z.string(), name: z.string(), address: z.string(), publicKey: z.string() });
const SessionFacts = z.object({ location: z.string(), device: z.string(), publicKey: z.string(), address: z.string(), session: z.number().int() });
const InviteFacts = z.object({ invite: z.number().int(), location: z.string(), device: z.string() });
const LinkStateName = z.enum(['connecting', 'up', 'down', 'refused']);
const AgentRef = z.object({ host: z.string(), role: AgentRoleSchema });
/** A link changed state (link.up, link.down, link.refused): the reason, and what it was before. */
export const LinkChangeDetails = AgentRef.extend({ reason: z.string().nullable(), healthy: z.boolean().nullable(), was: LinkStateName });
/** Something on an up link failed and the link stays (link.refused): by whom. */
export const LinkProblemDetails = AgentRef.extend({ reason: z.string(), by: z.enum(['agent', 'core']) });
export const BalancerGatewayDetails = z.object({ location: z.string(), gateway: z.string(), balancer: z.string(), reason: z.string().nullable(), since: z.string() });

/** location.updated: only the settings that changed, each from → to. */
export const LocationUpdatedDetails = z.object({
  endpoint: FromTo(z.string()).optional(),
  mfa: FromTo(z.boolean()).optional(),
  disconnectThreshold: FromTo(z.number()).optional(),
  routes: FromTo(z.array(z.string())).optional(),
  /** The whole failover setting before and after (locations.setFailover). */
  failover: FromTo(z.unknown()).optional(),
});
export type LocationUpdatedDetails = z.infer<typeof LocationUpdatedDetails>;

/**
 * Each event kind with the schema of its details. The audit trail stores details as JSON and
 * the wire carries them as a plain record (CoreEvent); in Core, tx.event takes only a kind
 * listed here with its details, and committed events arrive typed (KnownEvent).
 */
export const EVENT_DETAILS = {
  'location.created': z.object({ network: z.string(), endpoint: z.string(), mfa: z.boolean() }),
  'location.updated': LocationUpdatedDetails,
  'location.removed': z.object({ network: z.string() }),
  'host.created': z.object({ ssh: z.string(), auth: z.enum(['agent', 'key']) }),
  'host.removed': z.object({ ssh: z.string() }),
  /** Facts given by hand (hosts.update), each as it was and as it is now. */
  'host.updated': z.object({
    lan: z.object({ from: z.string().nullable(), to: z.string() }).optional(),
    platform: z.object({ from: z.string().nullable(), to: z.string() }).optional(),
  }),
  'host.pinned': z.object({ fingerprint: z.string(), previous: z.string().nullable(), os: z.string(), arch: z.string() }),
  'host.uninstalled': z.object({ units: z.array(z.string()), removed: z.number().int() }),
  /** An offline bundle made for the host (subject host:NAME); its secrets are never in the event. */
  'bundle.exported': z.object({
    id: z.string(),
    files: z.number().int(),
    secretFiles: z.number().int(),
    encrypted: z.boolean(),
    packages: z.number().int(),
    signingKey: z.string(),
    notAfter: z.string(),
    upgradeOf: z.string().nullable(),
  }),
  /** A backup of Core made (subject core); the passphrase is never in it. */
  'core.backed_up': z.object({ id: z.string(), size: z.number().int(), schema: z.number().int() }),
  /** Core's bundle signing key replaced by a new one it endorsed (subject bundle-key). */
  'bundle.key_rotated': z.object({ from: z.string(), to: z.string() }),
  'gateway.added': LocationRef,
  'gateway.removed': LocationRef,
  'edge.added': z.object({ host: z.string() }),
  'edge.removed': z.object({ host: z.string() }),
  'device.added': DeviceFacts,
  'device.removed': DeviceFacts,
  /** A new key pair for the device (a new config): previousKey no longer connects. */
  'device.rekeyed': DeviceFacts.extend({
    previousKey: z.string(),
    /** False when the device is disabled: the new key reaches no gateway until it is enabled; absent in events from before migration 13 (enabled). */
    enabled: z.boolean().optional(),
  }),
  /** An admin disabled the device: its peer leaves the gateways, its MFA session ends. */
  'device.disabled': DeviceFacts,
  /** An admin enabled a disabled device: its peer is back on the gateways (MFA: with its next session). */
  'device.enabled': DeviceFacts,
  'session.started': SessionFacts,
  'session.ended': SessionFacts.extend({ reason: SessionEndReason, by: z.string() }),
  'provision.started': ProvisionStartedDetails,
  'provision.wave': ProvisionWaveDetails,
  'provision.step': ProvisionStepDetails,
  'provision.host_finished': ProvisionHostFinishedDetails,
  'provision.finished': ProvisionFinishedDetails,
  'pki.ca_created': z.object({ fingerprint256: z.string() }),
  'certificate.issued': z.object({ serial: z.string(), notAfter: z.string() }),
  'certificate.revoked': z.object({ serial: z.string(), reason: z.string() }),
  'certificate.renewed': AgentRef.extend({ serial: z.string(), notAfter: z.string(), via: z.literal('link') }),
  'link.up': LinkChangeDetails,
  'link.down': LinkChangeDetails,
  'link.refused': z.union([LinkChangeDetails, LinkProblemDetails]),
  'balancer.gateway_out': BalancerGatewayDetails,
  'balancer.gateway_in': BalancerGatewayDetails,
  'balancer.nginx_failed': z.object({ host: z.string(), error: z.string() }),
  'failover.measured': z.object({ location: z.string(), gateway: z.string(), previous: z.string().nullable(), tookAt: z.string(), clients: z.number().int(), back: z.number().int(), medianMs: z.number().nullable(), slowestMs: z.number().nullable(), missing: z.number().int(), drill: z.boolean() }),
  'failover.drill_started': z.object({ location: z.string(), from: z.string(), to: z.string(), holdMs: z.number().int() }),
  'failover.drill_failed': z.object({ location: z.string(), from: z.string(), reason: z.string() }),
  'edge.public_set': z.object({ publicName: z.string(), balancer: z.string().nullable(), tls: z.enum(['admin', 'ca']), notAfter: z.string() }),
  'invite.created': InviteFacts.extend({ expiresAt: z.string() }),
  'invite.revoked': InviteFacts,
  'invite.opened': InviteFacts.extend({ client: z.string() }),
  'invite.refused': z.object({ reason: z.enum(['unknown', 'used', 'expired', 'revoked']), invite: z.number().int().nullable(), location: z.string().nullable(), device: z.string().nullable(), client: z.string() }),
  'invite.totp_issued': InviteFacts.extend({ client: z.string() }),
  'invite.used': InviteFacts.extend({ client: z.string(), address: z.string() }),
  'enroll.failed': InviteFacts.extend({ client: z.string(), reason: z.string() }),
  'mfa.failed': z.object({ location: z.string(), device: z.string(), reason: z.enum(['bad_code', 'code_reused']), client: z.string() }),
  'mfa.locked': z.object({ kind: z.enum(['device', 'address']), subject: z.string(), failures: z.number().int(), until: z.string() }),
  'mfa.unlocked': z.object({ kind: z.enum(['device', 'address']), subject: z.string() }),
  'connect.confirmed': z.object({ location: z.string(), device: z.string(), session: z.number().int(), confirmed: z.array(z.string()), missing: z.array(z.string()), tookMs: z.number(), client: z.string() }),
} as const;
type Kinds = typeof EVENT_DETAILS;

export const EVENT_KINDS = Object.keys(EVENT_DETAILS) as [keyof Kinds, ...(keyof Kinds)[]];
export const EventKind = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof EventKind>;
/** The details of one kind of event. */
export type EventDetails<K extends EventKind> = z.infer<Kinds[K]>;

/** An event before it is stored: a known kind with its details. */
export type NewEvent = { [K in EventKind]: { kind: K; subject: string; details: EventDetails<K> } }[EventKind];

export const CoreEvent = z.object({
  /** Increasing sequence number; resume a stream after the last one seen. */
  id: z.number().int(),
  time: Timestamp,
  /** Who made the change, as the client says (x-bulwark-actor): "cli:root@ws-1", "ui", "desktop", "api". */
  actor: z.string(),
  /**
   * What the server itself knew of the caller: transport and peer, "http 127.0.0.1:53122",
   * "https [::1]:40112" or "in-process"; empty for events recorded before Bulwark kept it.
   */
  origin: z.string().optional(),
  kind: EventKind,
  /** What it is about, as "<area>:<name>", e.g. "location:hq" or "device:hq/anna". */
  subject: z.string(),
  /** Kind-specific facts; never secrets. */
  details: z.record(z.string(), z.unknown()),
});
export type CoreEvent = z.infer<typeof CoreEvent>;

/** A stored event whose details match its kind: what Core's own listeners receive. */
export type KnownEvent = { [K in EventKind]: Omit<CoreEvent, 'kind' | 'details'> & { kind: K; details: EventDetails<K> } }[EventKind];

/** Checks a stored event's details against its kind's schema; throws a ZodError naming the field that does not match. */
export function parseKnownEvent(e: CoreEvent): KnownEvent {
  const details: unknown = EVENT_DETAILS[e.kind].parse(e.details);
  // The schema was picked by e.kind, which TypeScript cannot correlate with the union member.
  return { ...e, details } as KnownEvent;
}

export const EventListInput = z.strictObject({
  /** Return events with id greater than this; 0 or absent starts from the oldest kept. */
  after: z.number().int().min(0).default(0),
  /** At most this many, newest last; 1–1000, default 100. */
  limit: z.number().int().min(1).max(1000).default(100),
  /** When true, return the newest `limit` events instead of the oldest after `after`. */
  newest: z.boolean().default(false),
  /** Only the events of this provisioning run (provision.*, whose details name it). */
  run: z
    .string()
    .regex(/^[a-z0-9-]{8,64}$/, 'a run id is 8-64 lowercase letters, digits or "-", as "provision apply" prints it')
    .optional(),
  /** Only the events of this kind (such as core.backed_up). */
  kind: EventKind.optional(),
});
