import { z } from 'zod';
import { parseEndpoint } from '../../net/endpoint.js';
import { parseCidr, poolProblem } from '../../net/ip.js';
import { CidrText, ResourceName, Timestamp } from './common.js';
import { Failover } from './failover.js';

export const DEFAULT_WIREGUARD_PORT = 51820;
export const DEFAULT_DISCONNECT_THRESHOLD_S = 300;
export const MIN_MFA_DISCONNECT_THRESHOLD_S = 60;

/** Where clients reach the location: HOST or HOST:PORT (default port 51820). */
export const EndpointText = z.string().superRefine((v, ctx) => {
  const r = parseEndpoint(v, DEFAULT_WIREGUARD_PORT);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});

export const Location = z.object({
  name: z.string(),
  /** The VPN address pool in CIDR form; devices get addresses from it. */
  network: z.string(),
  /** The gateways' own tunnel address inside the pool (shared by every gateway of the location). */
  gatewayAddress: z.string(),
  /** Host name or IP address that clients dial; the floating IP or load balancer in HA setups. */
  endpointHost: z.string(),
  /** UDP port that every gateway of the location binds; 1–65535. */
  endpointPort: z.number().int(),
  /** True when a device needs a fresh MFA session before its peer is configured. */
  mfa: z.boolean(),
  /** Seconds without a handshake after which a gateway removes an MFA peer; unused without MFA. */
  disconnectThreshold: z.number().int(),
  /** The location's WireGuard public key (base64); the private key never leaves Core unencrypted. */
  publicKey: z.string(),
  createdAt: Timestamp,
  /** Networks behind the gateways that devices reach through the VPN (added to their AllowedIPs). */
  routes: z.array(z.string()),
  /** How the gateways share the clients: floating IP (vrrp), load balancer (lb) or none. */
  failover: Failover,
  /** Number of gateways serving the location. */
  gatewayCount: z.number().int(),
  /** Number of devices (peers) in the location. */
  deviceCount: z.number().int(),
});
export type Location = z.infer<typeof Location>;

export const LocationCreateInput = z
  .strictObject({
    name: ResourceName,
    network: CidrText.superRefine((v, ctx) => {
      const r = parseCidr(v);
      const problem = r.ok ? poolProblem(r.value) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    endpoint: EndpointText,
    /** Networks behind the gateways (CIDR) that devices reach through the VPN; default none. */
    routes: z.array(CidrText).max(64).default([]),
    /** Defaults to false. */
    mfa: z.boolean().default(false),
    /** Seconds; defaults to 300; at least 60 when mfa is on. */
    disconnectThreshold: z.number().int().min(1).max(7 * 24 * 3600).default(DEFAULT_DISCONNECT_THRESHOLD_S),
  })
  .superRefine((v, ctx) => {
    if (v.mfa && v.disconnectThreshold < MIN_MFA_DISCONNECT_THRESHOLD_S) {
      ctx.addIssue({
        code: 'custom',
        path: ['disconnectThreshold'],
        message: `${v.disconnectThreshold} s is too short for an MFA location; use at least ${MIN_MFA_DISCONNECT_THRESHOLD_S} s so that idle peers are not dropped between keepalives`,
      });
    }
  });
export type LocationCreateInput = z.input<typeof LocationCreateInput>;

export const LocationRef = z.strictObject({ name: ResourceName });

/** Changes to a location; absent fields keep their value. Gateways see them at the next apply. */
export const LocationUpdateInput = z.strictObject({
  name: ResourceName,
  endpoint: EndpointText.optional(),
  /** Replaces the location's routes. */
  routes: z.array(CidrText).max(64).optional(),
  mfa: z.boolean().optional(),
  /** Seconds; at least 60 when mfa is on. */
  disconnectThreshold: z.number().int().min(1).max(7 * 24 * 3600).optional(),
});
export type LocationUpdateInput = z.input<typeof LocationUpdateInput>;
