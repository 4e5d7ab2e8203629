// What an admin does with the public service: invites (one-time enrollment links on the edges'
// public name), the public name and its TLS, and lockouts after too many wrong codes.
import { z } from 'zod';
import { parseIp } from '../../net/ip.js';
import { DeviceName, ResourceName, Timestamp } from './common.js';
import { EdgeRotationEntry } from './agent-config.js';
import { LinkState } from './link.js';

/** A duration as an admin types it: "90m", "24h", "7d" (at most 30 days). */
export const InviteExpiry = z
  .string()
  .regex(/^[1-9][0-9]{0,4}[mhd]$/, 'is not a duration; write a number and a unit, such as "30m", "24h" or "7d"')
  .transform((v) => Number(v.slice(0, -1)) * { m: 60, h: 3600, d: 86_400 }[v.slice(-1) as 'm' | 'h' | 'd'])
  .refine((s) => s >= 300 && s <= 30 * 86_400, 'must be between 5 minutes and 30 days');

export const InviteState = z.enum(['open', 'used', 'expired', 'revoked']);

export const Invite = z.object({
  id: z.number().int(),
  location: z.string(),
  /** The device the invite makes. */
  device: z.string(),
  state: InviteState,
  createdAt: Timestamp,
  createdBy: z.string(),
  expiresAt: Timestamp,
  usedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});
export type Invite = z.infer<typeof Invite>;

export const InviteCreateInput = z.strictObject({
  location: ResourceName,
  /** The device's name; the person enrolling cannot change it. */
  name: DeviceName,
  /** How long the link works; default 24 hours. */
  expires: InviteExpiry.optional(),
});

export const InviteCreateOutput = z.object({
  invite: Invite,
  /** The one-time link: https://<public name>/enroll#<token>. Shown once; Core keeps only the token's hash. */
  url: z.string(),
});

export const InviteListInput = z.strictObject({
  location: ResourceName.optional(),
  /** Also list used, expired and revoked invites (the newest 200). */
  all: z.boolean().default(false),
});
export const InviteRef = z.strictObject({ id: z.number().int().min(1) });

/** The public name and TLS of the edges, and the host that runs their load balancer. */
export const EdgePublic = z.object({
  publicName: z.string(),
  /** The host that runs HAProxy in front of the edges; null when the admin runs their own proxy. */
  balancer: z.string().nullable(),
  /** admin: a certificate the admin gave; ca: one Core's CA issued (browsers will not trust it). */
  tls: z.object({ source: z.enum(['admin', 'ca']), subject: z.string(), notAfter: Timestamp, fingerprint256: z.string() }),
  /** Your own proxies' addresses that the edges believe X-Forwarded-For from. */
  trustedProxies: z.array(z.string()),
  updatedAt: Timestamp,
});
export type EdgePublic = z.infer<typeof EdgePublic>;

/** A DNS name or an IP address browsers use for the edges. */
export const PublicName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\d{1,3}(\.\d{1,3}){3}$/, 'is not a DNS name or IPv4 address; give the name browsers use, such as "vpn.example.com"');

export const EdgeSetPublicInput = z.strictObject({
  publicName: PublicName,
  /** The host to run the edges' HAProxy on; null: no balancer (you run your own; see edge nginx-config). */
  balancer: ResourceName.nullable(),
  /**
   * The addresses your own proxy reaches the edges from, whose X-Forwarded-For they believe (the
   * client address for limits and events). Bulwark's balancer is trusted without being named.
   */
  trustedProxies: z.array(z.string().refine((v) => parseIp(v) !== null, 'is not an IP address; give the address your proxy connects to the edges from')).max(16).default([]),
  /** PEM certificate (chain) for the public name, and its key; both or neither. Without them Core's CA issues one. */
  tlsCertPem: z.string().max(65_536).optional(),
  tlsKeyPem: z.string().max(65_536).optional(),
});

export const Lockout = z.object({
  id: z.number().int(),
  /** device: too many wrong codes for one device; address: too many wrong codes or tokens from one client address. */
  kind: z.enum(['device', 'address']),
  /** "<location>/<device>" or the client address. */
  subject: z.string(),
  failures: z.number().int(),
  lockedAt: Timestamp,
  until: Timestamp,
});
export type Lockout = z.infer<typeof Lockout>;
export const LockoutRef = z.strictObject({ id: z.number().int().min(1) });

/** The public side live: each edge's link and readiness, the balancer's view of them, lockouts, and what is wrong. */
export const EdgeStatus = z.object({
  public: EdgePublic.nullable(),
  edges: z.array(
    z.object({
      host: z.string(),
      link: LinkState.shape.state,
      since: z.string(),
      /** Why the link is down, in words an admin can act on. */
      reason: z.string().nullable(),
      /** The edge takes public requests (its link is up and it has the shared key); null without a link. */
      ready: z.boolean().nullable(),
      notReady: z.string().nullable(),
      /** Public calls it relayed since it started, and those that failed (timeouts, answers it could not check). */
      served: z.number().int().nullable(),
      failed: z.number().int().nullable(),
      /** The balancer's view of this edge; null without a balancer or without its link. */
      balancer: z.object({ inRotation: z.boolean(), status: z.string(), check: z.string().nullable(), sinceSeconds: z.number().int().nullable() }).nullable(),
    }),
  ),
  /** The host that runs HAProxy, its agent's link, and whether HAProxy's stats could be read. */
  balancer: z.object({ host: z.string(), link: LinkState.shape.state.nullable(), error: z.string().nullable(), entries: z.array(EdgeRotationEntry) }).nullable(),
  lockouts: z.array(Lockout),
  /** What is wrong, each with what to do. */
  problems: z.array(z.string()),
});
export type EdgeStatus = z.infer<typeof EdgeStatus>;
