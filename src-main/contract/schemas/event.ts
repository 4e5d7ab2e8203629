// The audit trail and the one typed event stream: every change Core makes is one of these.
import { z } from 'zod';
import { Timestamp } from './common.js';

export const EVENT_KINDS = [
  'location.created',
  'location.updated',
  'location.removed',
  'host.created',
  'host.removed',
  'host.pinned',
  'host.uninstalled',
  'gateway.added',
  'gateway.removed',
  'edge.added',
  'edge.removed',
  'device.added',
  'device.removed',
  'session.started',
  'session.ended',
  'provision.started',
  'provision.step',
  'provision.host_finished',
  'provision.finished',
  'pki.ca_created',
  'certificate.issued',
  'certificate.revoked',
  'certificate.renewed',
  'link.up',
  'link.down',
  'link.refused',
  'balancer.gateway_out',
  'balancer.gateway_in',
  'balancer.nginx_failed',
] as const;
export const EventKind = z.enum(EVENT_KINDS);
export type EventKind = z.infer<typeof EventKind>;

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

export const EventListInput = z.strictObject({
  /** Return events with id greater than this; 0 or absent starts from the oldest kept. */
  after: z.number().int().min(0).default(0),
  /** At most this many, newest last; 1–1000, default 100. */
  limit: z.number().int().min(1).max(1000).default(100),
  /** When true, return the newest `limit` events instead of the oldest after `after`. */
  newest: z.boolean().default(false),
});
