// The control link: Core dials each agent (WebSocket over mutual TLS) and both sides speak
// these messages, one JSON object per WebSocket message. Either side refuses a message that
// does not parse, counts it, and keeps the link.
import { z } from 'zod';
import { AgentRoleSchema, BalancerView, VrrpLocationView, VrrpRole } from './agent-config.js';
import { EDGE_CALL_NAMES, IdempotencyKey } from './edge.js';
import { DeviceTunnel } from './device.js';
import { LocationRef } from './location.js';

/** Bumped when a message changes incompatibly; both sides refuse a peer with another version. */
export const LINK_PROTOCOL = 5;

/** The WebSocket subprotocol both sides require: "bulwark-link.<version>". */
export const LINK_SUBPROTOCOL = `bulwark-link.${LINK_PROTOCOL}`;

export const AgentHello = z.strictObject({
  type: z.literal('hello'),
  protocol: z.number().int(),
  role: AgentRoleSchema,
  host: z.string(),
  version: z.string(),
  /** SHA-256 of the agent's configuration file. */
  configSha256: z.string(),
  startedAt: z.string(),
  /** A gateway: how WireGuard runs on it. */
  wireguardMode: z.enum(['kernel', 'wireguard-go']).nullable().optional(),
});

export const AgentHeartbeat = z.strictObject({
  type: z.literal('heartbeat'),
  seq: z.number().int(),
  /** The agent's own view of its health (data plane, for a gateway). */
  healthy: z.boolean(),
  /** A gateway's vrrp locations: keepalived's last word on its role (null before any), and whether the floating IP is on this host. */
  vrrp: z.array(VrrpLocationView).optional(),
  /** A balancer: nginx and which gateways of each location are in rotation. */
  balancer: BalancerView.optional(),
  /** An edge: whether it takes public requests (its link is up and it has the shared key), and what it has served. */
  edge: z.strictObject({ ready: z.boolean(), reason: z.string().nullable(), served: z.number().int(), failed: z.number().int(), inFlight: z.number().int() }).optional(),
});

/** A gateway applied a peers message (its revision), so Core knows the peers are live there. */
export const AgentApplied = z.strictObject({
  type: z.literal('applied'),
  location: z.string(),
  revision: z.number().int(),
  peers: z.number().int(),
  /** How long applying it to WireGuard took on the gateway. */
  tookMs: z.number(),
});

/** One peer as a gateway sees it. */
export const PeerStats = z.strictObject({
  publicKey: z.string(),
  /** Where the device's packets come from ("198.51.100.7:51820"), null before its first handshake. */
  endpoint: z.string().nullable(),
  /** Unix seconds of the newest handshake, 0 for never. */
  latestHandshake: z.number().int(),
  rxBytes: z.number(),
  txBytes: z.number(),
});
export type PeerStats = z.infer<typeof PeerStats>;

/**
 * Per-peer counters of one location, every statsMs: only peers that changed since the last
 * report (all of them after the link comes up). After a time without Core, the first report
 * says how long and how many reports it replaces (the counters are totals, so nothing is lost).
 */
export const AgentStats = z.strictObject({
  type: z.literal('stats'),
  location: z.string(),
  at: z.string(),
  full: z.boolean(),
  peers: z.array(PeerStats),
  /** Set on the first report after Core was away: what it summarises. */
  summary: z.strictObject({ since: z.string().nullable(), missedReports: z.number().int() }).nullable(),
});

/** The agent refused something Core sent; the link stays. */
export const AgentRefused = z.strictObject({
  type: z.literal('refused'),
  reason: z.string(),
});

/**
 * MFA locations: the gateway removed these peers because they were idle (no handshake and no
 * traffic) for longer than the threshold. Sent when it happens and again on every new link
 * until Core acknowledges, so an expiry during a Core outage reaches Core when it is back.
 */
export const AgentExpired = z.strictObject({
  type: z.literal('expired'),
  location: z.string(),
  sessions: z.array(
    z.strictObject({
      session: z.number().int(),
      publicKey: z.string(),
      /** Unix seconds of the peer's last handshake or traffic as this gateway saw it; 0 for never. */
      lastActivity: z.number().int(),
      /** When the gateway removed the peer (ISO time). */
      at: z.string(),
    }),
  ),
});
export type AgentExpired = z.infer<typeof AgentExpired>;

/** The agent installed the certificate Core sent; new links use it (the current one stays up). */
export const AgentCertificateInstalled = z.strictObject({
  type: z.literal('certificateInstalled'),
  /** Serial number, lower-case hex. */
  serial: z.string(),
  notAfter: z.string(),
});

/** How long a new master watches for its clients' fresh handshakes before it reports the rest as not back. */
export const TAKEOVER_WATCH_MS = 20_000;

/**
 * A gateway became VRRP master of a location and measured, on its own clock, how long each
 * client it started a handshake with took to complete it (from the moment the floating IP was
 * on this host). Sent once the last client is back or TAKEOVER_WATCH_MS has passed, and again
 * on every new link until Core acknowledges (a takeover during a Core outage is not lost).
 */
export const AgentTakeover = z.strictObject({
  type: z.literal('takeover'),
  /** The gateway's own id for this takeover (Core keeps each id once per gateway). */
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  location: z.string().max(64),
  /** When the floating IP was on this host (ISO time, the gateway's clock). */
  tookAt: z.iso.datetime(),
  /** Milliseconds from keepalived's word (MASTER) to the address being here. */
  addressAfterMs: z.number().min(0),
  /** Clients with a known endpoint, to which this gateway started a handshake. */
  clients: z.number().int().min(0),
  /** Milliseconds from tookAt to each returned client's completed handshake, sorted ascending. */
  backMs: z.array(z.number().min(0)).max(100_000),
  /** Public keys of the clients that did not complete a handshake within the watch (at most 200 listed). */
  missing: z.array(z.string().max(64)).max(200),
  /** Clients without a known endpoint: they come back by themselves, unmeasured. */
  unreachable: z.number().int().min(0),
});
export type AgentTakeover = z.infer<typeof AgentTakeover>;

/** Upper bound of a public call's deadline: the balancer's server timeout is longer. */
export const EDGE_REQUEST_MAX_MS = 20_000;

/**
 * An edge relays one public call (contract/schemas/edge.ts) to Core. Core answers with a
 * `response` of the same id before timeoutMs (counted from when Core receives it, so the two
 * clocks need not agree), or not at all: the edge then answers 504 itself.
 */
export const AgentRequest = z.strictObject({
  type: z.literal('request'),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  call: z.enum(EDGE_CALL_NAMES as [string, ...string[]]),
  /** Parsed by the edge with the call's input schema, and again by Core. */
  input: z.unknown(),
  timeoutMs: z.number().int().min(100).max(EDGE_REQUEST_MAX_MS),
  /** The browser's address as the edge established it (from the balancer's header only when it came from the balancer). */
  client: z.string().max(64),
  /** Calls that change something: the browser's key for this action, so a retried request is answered once. */
  idempotencyKey: IdempotencyKey.nullable(),
});
export type AgentRequest = z.infer<typeof AgentRequest>;

export const AgentMessage = z.discriminatedUnion('type', [AgentHello, AgentHeartbeat, AgentApplied, AgentStats, AgentRefused, AgentExpired, AgentCertificateInstalled, AgentRequest, AgentTakeover]);
export type AgentMessage = z.infer<typeof AgentMessage>;

export const CoreWelcome = z.strictObject({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  /** How often the agent sends a heartbeat, in milliseconds. */
  heartbeatMs: z.number().int().min(100).max(60_000),
  /** How often a gateway reports per-peer counters, in milliseconds. */
  statsMs: z.number().int().min(200).max(300_000).default(2000),
});

export const CorePing = z.strictObject({ type: z.literal('ping'), seq: z.number().int() });

/** A WireGuard peer of a location: one device. */
export const WgPeer = z.strictObject({
  publicKey: z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/),
  allowedIps: z.array(z.string()).min(1),
  /** MFA locations: the session that authorises the peer; absent elsewhere. */
  session: z.number().int().optional(),
});
export type WgPeer = z.infer<typeof WgPeer>;

/**
 * A location's peers for a gateway. full: the complete set (after the link comes up), which
 * replaces what the gateway has; otherwise a change: upsert these, remove those. Revisions grow.
 */
export const CorePeers = z.strictObject({
  type: z.literal('peers'),
  location: z.string(),
  revision: z.number().int(),
  full: z.boolean(),
  upsert: z.array(WgPeer),
  remove: z.array(z.string()),
  /** With every full set: whether the location uses MFA and its idle threshold in seconds. */
  policy: z.strictObject({ mfa: z.boolean(), disconnectThreshold: z.number().int().min(1) }).optional(),
});
export type CorePeers = z.infer<typeof CorePeers>;

/** Core took note of these expired sessions; the gateway may forget them (a newer session can bring the peer back). */
export const CoreExpiredAck = z.strictObject({
  type: z.literal('expiredAck'),
  location: z.string(),
  sessions: z.array(z.number().int()),
});

/**
 * What the location's other gateways see of its peers: where each peer last came from and when
 * it was last active (unix seconds). A standby gateway counts that activity as its own, so it
 * does not expire a busy MFA peer it never sees, and knows where to reach it.
 */
export const CoreActivity = z.strictObject({
  type: z.literal('activity'),
  location: z.string(),
  peers: z.array(z.strictObject({ publicKey: z.string(), endpoint: z.string().nullable(), lastActivity: z.number().int() })),
});
export type CoreActivity = z.infer<typeof CoreActivity>;

/**
 * A renewed certificate for the agent (sent well before the old one expires, over the
 * authenticated link): the agent checks it against Core's CA and its own name, keeps it in its
 * state directory, and serves it to the next TLS handshake, without a restart or a dropped link.
 */
export const CoreCertificate = z.strictObject({
  type: z.literal('certificate'),
  certPem: z.string().max(16_384),
  keyPem: z.string().max(16_384),
});

/** A balancer with manual failback: put this gateway, held out although healthy, back into rotation. */
export const CoreRelease = z.strictObject({
  type: z.literal('release'),
  location: z.string(),
  host: z.string(),
});

/** To a balancer, in a rolling apply: take the gateway out of rotation while it is changed (drained true), or end that. */
export const CoreDrain = z.strictObject({
  type: z.literal('drain'),
  location: z.string(),
  host: z.string(),
  drained: z.boolean(),
});

/** Core keeps these takeover reports: the gateway may forget them. */
export const CoreTakeoverAck = z.strictObject({
  type: z.literal('takeoverAck'),
  ids: z.array(z.string()),
});

/**
 * A failover drill: the master gives up the location's floating IP on purpose, by telling its
 * keepalived this location is unhealthy (the track file) for holdMs, then healthy again; the
 * healthy standby takes over and measures its clients' return as after any failover.
 */
export const CoreDrill = z.strictObject({
  type: z.literal('drill'),
  location: z.string(),
  holdMs: z.number().int().min(500).max(30_000),
});

/** Core's answer to an edge's request: the HTTP status for the browser and the body (the call's output, or an EdgeError). */
export const CoreResponse = z.strictObject({
  type: z.literal('response'),
  id: z.string(),
  status: z.number().int().min(200).max(599),
  body: z.unknown(),
});
export type CoreResponse = z.infer<typeof CoreResponse>;

/**
 * To an edge, after welcome and whenever they change: what all edges share so that any edge can
 * answer any request. csrfKeys: HMAC keys (base64, 32 bytes), the first signs and all verify
 * (so a rotation does not break a page open in a browser).
 */
export const CoreEdgeSettings = z.strictObject({
  type: z.literal('edgeSettings'),
  csrfKeys: z.array(z.string().regex(/^[A-Za-z0-9+/]{43}=$/)).min(1).max(4),
  /** The name browsers use (the balancer's); null until an admin sets it. */
  publicName: z.string().nullable(),
});
export type CoreEdgeSettings = z.infer<typeof CoreEdgeSettings>;

export const CoreMessage = z.discriminatedUnion('type', [CoreWelcome, CorePing, CorePeers, CoreExpiredAck, CoreActivity, CoreCertificate, CoreRelease, CoreDrain, CoreResponse, CoreEdgeSettings, CoreTakeoverAck, CoreDrill]);
export type CoreMessage = z.infer<typeof CoreMessage>;

/** Core's view of one agent's link, for status and the UI. */
export const LinkState = z.object({
  /** "gateway:<host>" or "edge:<host>". */
  agent: z.string(),
  host: z.string(),
  role: AgentRoleSchema,
  state: z.enum(['connecting', 'up', 'down', 'refused']),
  /** When it entered this state (ISO time). */
  since: z.string(),
  /** Why it is down or refused, in words an admin can act on. */
  reason: z.string().nullable(),
  /** The agent's last heartbeat said its data plane is healthy; null while not up. */
  healthy: z.boolean().nullable(),
  agentVersion: z.string().nullable(),
  /** A gateway: kernel WireGuard or wireguard-go, as it said at the link's start. */
  wireguardMode: z.enum(['kernel', 'wireguard-go']).nullable(),
  /** The SHA-256 of the config file the agent runs, as it said at the link's start. */
  configSha256: z.string().nullable(),
  /** Messages from this agent that did not parse, since Core started. */
  badMessages: z.number().int(),
  /** The certificate the agent presented on this link; null before the first TLS handshake. */
  certificate: z.object({ serial: z.string(), notAfter: z.string() }).nullable(),
  /** A gateway: per location, the newest peers revision it confirmed and how many peers that is. */
  applied: z.array(z.object({ location: z.string(), revision: z.number().int(), peers: z.number().int() })),
});
export type LinkState = z.infer<typeof LinkState>;


/**
 * locations.status: a location by name. `devices: false` leaves the device list empty: a client
 * that pages the devices with devices.search (the UI) polls the gateways without them, which at
 * 10,000 devices is 2 MB less per poll.
 */
export const LocationStatusInput = LocationRef.extend({ devices: z.boolean().default(true) });

/** A location seen live: its gateways' links and data planes, and its devices' tunnels. */
export const LocationStatus = z.object({
  location: z.string(),
  mfa: z.boolean(),
  /** Seconds of idleness after which a gateway drops an MFA peer. */
  disconnectThreshold: z.number().int(),
  gateways: z.array(
    z.object({
      host: z.string(),
      link: LinkState.shape.state,
      since: z.string().nullable(),
      reason: z.string().nullable(),
      healthy: z.boolean().nullable(),
      wireguardMode: z.enum(['kernel', 'wireguard-go']).nullable(),
      /** Peers the gateway confirmed for this location; null when unknown (no link). */
      peers: z.number().int().nullable(),
      /** vrrp: the gateway's VRRP role and whether the floating IP is on it; null without vrrp or without a link. */
      vrrp: z.object({ role: VrrpRole.nullable(), holdsVip: z.boolean() }).nullable(),
      /** lb: whether the load balancer sends clients to this gateway, as its agent last said; null without lb or without its link. */
      lb: z.object({ inRotation: z.boolean(), healthy: z.boolean().nullable(), since: z.string(), reason: z.string().nullable() }).nullable(),
    }),
  ),
  /** How the gateways share the clients, who holds the floating IP now, and what is wrong with it. */
  failover: z.object({
    mode: z.enum(['none', 'vrrp', 'lb']),
    vip: z.string().nullable(),
    /** Gateways that report the floating IP on their interface (linked ones only). */
    holders: z.array(z.string()),
    /** lb: the load balancer host, its link, and whether nginx runs there; null in other modes. */
    balancer: z.object({ host: z.string(), link: LinkState.shape.state, nginxRunning: z.boolean().nullable() }).nullable(),
    /** Empty when all is well: no holder, or more than one (split brain), in words an admin can act on. */
    problems: z.array(z.string()),
    /** The failover settings wait for an apply (no gateway runs them yet): the problems say so, and the fix is the plan. */
    pendingApply: z.boolean(),
  }),
  /** Every device of the location by name, unless the call asked for none (`devices: false`). */
  devices: z.array(
    z
      .object({
        name: z.string(),
        address: z.string(),
        publicKey: z.string(),
        /** False when an admin disabled it: no peer on any gateway until enabled. */
        enabled: z.boolean(),
      })
      .extend(DeviceTunnel.shape),
  ),
});
export type LocationStatus = z.infer<typeof LocationStatus>;
