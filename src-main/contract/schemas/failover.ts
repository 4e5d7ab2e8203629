// How a location's gateways share its clients: a floating IP moved by VRRP (keepalived), a
// UDP load balancer in front of them, or neither.
import { z } from 'zod';
import { parseInterfaceAddress } from '../../net/ip.js';
import { ResourceName } from './common.js';

export const FAILOVER_MODES = ['none', 'vrrp', 'lb'] as const;
export const FailoverMode = z.enum(FAILOVER_MODES);

/**
 * Seconds between VRRP adverts by default. 0.1 s: a dead master is noticed after about 3.6
 * adverts (0.36 s measured here), so with the new master's handshakes traffic is back in about
 * 0.45 s, while ten small packets a second cost nothing. 0.01 s (VRRPv3's floor) is faster
 * (0.06 s measured) but a 30 ms stall of a busy host would then move the floating IP.
 */
export const DEFAULT_ADVERT_INTERVAL_S = 0.1;

/**
 * How the balancer agent checks an lb-mode location's gateways. Every second, 0.8 s to answer;
 * out of rotation after 5 failures in a row, back after 3 successes. Why 5: an agent that
 * crashes is back within ~2.5 s (RestartSec 2) while its WireGuard keeps running, and moving
 * its clients would cost them a ~15 s re-handshake; and a dead gateway's clients re-handshake
 * only after 15 s anyway, so noticing at 5 s loses nothing. Why 3 to come back: a flapping
 * gateway would move its clients twice.
 */
export const DEFAULT_LB_CHECK = { intervalMs: 1000, timeoutMs: 800, fall: 5, rise: 3 } as const;

export const Failover = z.object({
  mode: FailoverMode,
  /** vrrp: the floating IP with the LAN's prefix ("198.51.100.100/24"); null otherwise. */
  vip: z.string().nullable(),
  /** vrrp: the LAN interface on every gateway; null means each gateway's own LAN interface (seen at host check). */
  interface: z.string().nullable(),
  /** vrrp: seconds between adverts (0.01–255); null otherwise. */
  advertInterval: z.number().nullable(),
  /** vrrp: adverts go to the other gateways' addresses instead of multicast. */
  unicast: z.boolean(),
  /** vrrp: the VRRP router id (1–255), unique among the floating IPs on that LAN; null otherwise. */
  routerId: z.number().int().nullable(),
  /** lb: the host that runs the UDP load balancer; null otherwise. */
  lbHost: z.string().nullable(),
  /** lb: a gateway that passes its checks again goes back into rotation by itself (auto), or when the admin releases it (manual); null otherwise. */
  lbFailback: z.enum(['auto', 'manual']).nullable(),
});
export type Failover = z.infer<typeof Failover>;

/** A Linux network interface name; ".", ".." and a leading "-" (read as an option by `ip`) are not one. */
const InterfaceName = z.string().superRefine((v, ctx) => {
  const fix = 'use the name `ip link` shows, such as eth0 (at most 15 letters, digits, ".", "_", "-", starting with a letter, digit or "_")';
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(v)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not an interface name; ${fix}` });
  }
});

export const LocationFailoverInput = z
  .strictObject({
    name: ResourceName,
    mode: FailoverMode,
    vip: z
      .string()
      .superRefine((v, ctx) => {
        const r = parseInterfaceAddress(v);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
        else if (r.value.family !== 4) ctx.addIssue({ code: 'custom', message: `${v} is IPv6; keepalived's floating IP here is IPv4: use a.b.c.d/nn inside the gateways' LAN` });
      })
      .optional(),
    interface: InterfaceName.optional(),
    /** Seconds, 0.01–255, in steps of 0.01 (VRRPv3 counts centiseconds); default 0.1. */
    advertInterval: z
      .number()
      .superRefine((v, ctx) => {
        if (v < 0.01) ctx.addIssue({ code: 'custom', message: `${v} s is too short; use at least 0.01 s (the shortest VRRPv3 advert)` });
        else if (v > 255) ctx.addIssue({ code: 'custom', message: `${v} s is too long; use at most 255 s` });
        else if (Math.abs(Math.round(v * 100) - v * 100) > 1e-6) ctx.addIssue({ code: 'custom', message: `${v} s is not a multiple of 0.01 s: VRRPv3 counts in centiseconds (sub-second adverts need VRRPv3, which Bulwark always uses)` });
      })
      .optional(),
    unicast: z.boolean().optional(),
    routerId: z.number().int().min(1).max(255).optional(),
    lbHost: ResourceName.optional(),
    /** lb: auto (default) or manual failback. */
    lbFailback: z.enum(['auto', 'manual']).optional(),
  })
  .superRefine((v, ctx) => {
    const only = (field: 'vip' | 'interface' | 'advertInterval' | 'unicast' | 'routerId' | 'lbHost' | 'lbFailback', mode: string) => {
      if (v[field] !== undefined && v.mode !== mode) ctx.addIssue({ code: 'custom', path: [field], message: `applies to --mode ${mode} only; drop it for --mode ${v.mode}` });
    };
    for (const f of ['vip', 'interface', 'advertInterval', 'unicast', 'routerId'] as const) only(f, 'vrrp');
    only('lbHost', 'lb');
    only('lbFailback', 'lb');
    if (v.mode === 'vrrp' && v.vip === undefined) ctx.addIssue({ code: 'custom', path: ['vip'], message: 'is required for --mode vrrp: give the floating IP with the LAN prefix, such as 198.51.100.100/24' });
    if (v.mode === 'lb' && v.lbHost === undefined) ctx.addIssue({ code: 'custom', path: ['lbHost'], message: 'is required for --mode lb: name the host that runs the load balancer' });
  });
export type LocationFailoverInput = z.input<typeof LocationFailoverInput>;

export const LB_CONFIG_FORMATS = ['nginx', 'envoy'] as const;

/** An lb-mode location's load balancer configuration, for running it yourself (Envoy) or reading what Bulwark runs (nginx). */
export const LbConfigInput = z.strictObject({
  name: ResourceName,
  format: z.enum(LB_CONFIG_FORMATS),
});

export const LbConfig = z.object({
  location: z.string(),
  format: z.enum(LB_CONFIG_FORMATS),
  /** The load balancer host the configuration is for. */
  lbHost: z.string(),
  text: z.string(),
});
export type LbConfig = z.infer<typeof LbConfig>;

/** lb mode with manual failback: put a gateway that passes its checks back into rotation now. */
export const LbReleaseInput = z.strictObject({
  name: ResourceName,
  gateway: ResourceName,
});

/** One takeover as the new master measured it (failover.history, the location's timeline). */
export const FailoverRecord = z.object({
  id: z.number().int(),
  location: z.string(),
  /** The gateway that took the floating IP. */
  gateway: z.string(),
  /** The gateway Core last saw holding it before; null when Core did not see one. */
  previous: z.string().nullable(),
  /** When the floating IP was on the new master (its clock). */
  tookAt: z.string(),
  /** From keepalived's word to the address being on the host. */
  addressAfterMs: z.number(),
  /** Clients the new master started a handshake with (those with a known endpoint). */
  clients: z.number().int(),
  back: z.number().int(),
  medianMs: z.number().nullable(),
  p95Ms: z.number().nullable(),
  slowestMs: z.number().nullable(),
  /** Clients that did not complete a handshake within the watch; device null when not (or no longer) known. */
  missing: z.array(z.object({ publicKey: z.string(), device: z.string().nullable() })),
  /** Clients with no known endpoint: they return by themselves, unmeasured. */
  unreachable: z.number().int(),
  drill: z.boolean(),
  receivedAt: z.string(),
});
export type FailoverRecord = z.infer<typeof FailoverRecord>;

export const FailoverHistoryInput = z.strictObject({
  location: ResourceName,
  limit: z.number().int().min(1).max(1000).default(20),
});

export const FAILOVER_DRILL_HOLD_MS = 3000;

export const FailoverDrillInput = z.strictObject({
  location: ResourceName,
  /** How long the master tells keepalived it is unhealthy; it then returns as backup. */
  holdMs: z.number().int().min(1000).max(30_000).default(FAILOVER_DRILL_HOLD_MS),
});

export const FailoverDrillOutput = z.object({
  from: z.string(),
  to: z.string(),
  record: FailoverRecord,
});
export type FailoverDrillOutput = z.infer<typeof FailoverDrillOutput>;
