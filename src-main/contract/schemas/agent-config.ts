// The configuration files Core writes for the agents (/etc/bulwark/<role>.json). Core renders
// them (config-gen/agent) and the agents parse them with these same schemas.
import { z } from 'zod';

export const AGENT_CONFIG_VERSION = 1;

/** The agents Bulwark runs on a host: a location's gateway, an edge, and an lb-mode location's load balancer. */
export const AGENT_ROLES = ['gateway', 'edge', 'balancer'] as const;
export const AgentRoleSchema = z.enum(AGENT_ROLES);
export type AgentRole = (typeof AGENT_ROLES)[number];

/**
 * A gateway's data-plane health for load balancers, per lb-mode location: GET
 * DATAPLANE_HEALTH_PATH + <location> answers 200 while that location's WireGuard interface is up
 * and listening, 503 otherwise. Served on the gateway's LAN address (not loopback), without
 * anything secret in it, so Bulwark's balancer agent and an Envoy health check can reach it.
 */
export const DATAPLANE_HEALTH_PATH = '/healthz/location/';

const Health = z.strictObject({
  /** The agent's health endpoint listens here: loopback only, checked by provisioning over SSH. */
  address: z.string(),
  port: z.number().int().min(1).max(65535),
});

/** The control link: Core dials this address with mutual TLS (certificates from Core's CA). */
const Control = z.strictObject({
  address: z.string(),
  port: z.number().int().min(1).max(65535),
  /** PEM files: Core's CA (the only issuer the agent trusts), the agent's certificate and key. */
  ca: z.string(),
  cert: z.string(),
  key: z.string(),
});

export const GatewayLocationConfig = z.strictObject({
  name: z.string(),
  /** The WireGuard interface on the host (at most 15 characters), e.g. "bw-office". */
  interface: z.string().regex(/^[A-Za-z0-9_.=+-]{1,15}$/),
  /** File holding the location's WireGuard private key (shared by all its gateways). */
  privateKeyFile: z.string(),
  network: z.string(),
  gatewayAddress: z.string(),
  listenPort: z.number().int().min(1).max(65535),
  publicKey: z.string(),
  mfa: z.boolean(),
  disconnectThreshold: z.number().int(),
  /** vrrp: the floating IP keepalived moves between the location's gateways; null otherwise. */
  vrrp: z
    .strictObject({
      /** The floating IP with the LAN prefix ("198.51.100.100/24"). */
      vip: z.string(),
      /** The LAN interface that carries it. */
      interface: z.string(),
      /** keepalived's instance name (its notify FIFO names the instance). */
      instance: z.string(),
      /** The agent writes its data-plane health here (0 healthy, 1 not); keepalived tracks it. */
      trackFile: z.string(),
    })
    .nullable()
    .default(null),
});

export type GatewayLocationConfig = z.infer<typeof GatewayLocationConfig>;

/** What every agent's configuration has. */
const AgentBase = {
  version: z.literal(AGENT_CONFIG_VERSION),
  host: z.string(),
  health: Health,
  control: Control,
};

export const GatewayAgentConfig = z.strictObject({
  ...AgentBase,
  role: z.literal('gateway'),
  locations: z.array(GatewayLocationConfig),
  /** keepalived's notify FIFO, which the agent reads for its VRRP role; null without vrrp locations. */
  keepalivedFifo: z.string().nullable().default(null),
  /** lb-mode locations: where the data-plane health for load balancers listens (the LAN address); null without any. */
  lanHealth: z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535), locations: z.array(z.string()) }).nullable().default(null),
});
export type GatewayAgentConfig = z.infer<typeof GatewayAgentConfig>;

export const EdgeAgentConfig = z.strictObject({
  ...AgentBase,
  role: z.literal('edge'),
  /** The public HTTPS listener (pages and the public API), with the agent's certificate; the edge balancer dials it. */
  public: z.strictObject({ address: z.string(), port: z.number().int().min(1).max(65535) }),
  /**
   * Addresses whose X-Forwarded-For header the edge believes (the edge balancer's): the client
   * address for rate limits and events. The header from anyone else is refused.
   */
  trustedProxies: z.array(z.string()),
});
export type EdgeAgentConfig = z.infer<typeof EdgeAgentConfig>;

/** One gateway behind the load balancer: where WireGuard listens and where its data-plane health is. */
export const BalancedGateway = z.strictObject({
  host: z.string(),
  address: z.string(),
  port: z.number().int().min(1).max(65535),
  /** The gateway's data-plane health URL for this location (http://<LAN address>:<port>/healthz/location/<name>). */
  healthUrl: z.string(),
});
export type BalancedGateway = z.infer<typeof BalancedGateway>;

export const BalancedLocation = z.strictObject({
  name: z.string(),
  /** The UDP port clients dial on the load balancer (the location's endpoint port). */
  listenPort: z.number().int().min(1).max(65535),
  gateways: z.array(BalancedGateway).min(1),
  /** auto: a gateway that passes its checks again returns to rotation by itself; manual: when Core releases it. */
  failback: z.enum(['auto', 'manual']).default('auto'),
});
export type BalancedLocation = z.infer<typeof BalancedLocation>;

/** How the balancer agent checks the gateways: every intervalMs; out after `fall` failures in a row, back after `rise` successes. */
export const HealthCheckPolicy = z.strictObject({
  intervalMs: z.number().int().min(100).max(60_000),
  timeoutMs: z.number().int().min(50).max(60_000),
  fall: z.number().int().min(1).max(100),
  rise: z.number().int().min(1).max(100),
});
export type HealthCheckPolicy = z.infer<typeof HealthCheckPolicy>;

export const BalancerAgentConfig = z.strictObject({
  ...AgentBase,
  role: z.literal('balancer'),
  /** nginx, run by the agent with a configuration it writes (the gateways in rotation). */
  nginx: z.strictObject({
    program: z.string(),
    /** Where the agent writes nginx's configuration and pid file (the unit's RuntimeDirectory). */
    runDir: z.string(),
    /** The address nginx listens on for clients. */
    listenAddress: z.string(),
  }),
  check: HealthCheckPolicy,
  locations: z.array(BalancedLocation),
  /** The edges' HAProxy on this host: its stats socket, which the agent reads for Core's status; null when it runs none. */
  edges: z.strictObject({ statsSocket: z.string(), backend: z.string() }).nullable().default(null),
});
export type BalancerAgentConfig = z.infer<typeof BalancerAgentConfig>;

export const AgentConfig = z.discriminatedUnion('role', [GatewayAgentConfig, EdgeAgentConfig, BalancerAgentConfig]);
export type AgentConfig = z.infer<typeof AgentConfig>;

/** One gateway as the balancer sees it: in rotation or not, and what its last check said. */
export const RotationEntry = z.strictObject({
  host: z.string(),
  /** nginx sends clients to it (not marked down). */
  inRotation: z.boolean(),
  /** The last check's verdict; null before the first. */
  healthy: z.boolean().nullable(),
  /** Since when it is in (or out of) rotation (ISO time). */
  since: z.string(),
  /** Why the last check failed, or why it stays in rotation although it fails; null when all is well. */
  reason: z.string().nullable(),
});
export type RotationEntry = z.infer<typeof RotationEntry>;

/** One edge as HAProxy sees it (its stats socket). */
export const EdgeRotationEntry = z.strictObject({
  host: z.string(),
  /** HAProxy sends requests to it. */
  inRotation: z.boolean(),
  /** HAProxy's word: UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming back), MAINT. */
  status: z.string(),
  /** The last health check's result, e.g. "L7STS 503" or "L4CON: Connection refused"; null when it passed. */
  check: z.string().nullable(),
  /** Seconds since the status last changed; null when HAProxy does not say. */
  sinceSeconds: z.number().int().nullable(),
});
export type EdgeRotationEntry = z.infer<typeof EdgeRotationEntry>;

export const BalancerView = z.strictObject({
  nginx: z.strictObject({ running: z.boolean(), pid: z.number().int().nullable(), reloads: z.number().int(), error: z.string().nullable() }),
  locations: z.array(z.strictObject({ location: z.string(), gateways: z.array(RotationEntry) })),
  /** The edges' HAProxy: each edge in or out of rotation, or an error when its stats cannot be read; absent when this host runs none. */
  edges: z.strictObject({ entries: z.array(EdgeRotationEntry), error: z.string().nullable() }).optional(),
});
export type BalancerView = z.infer<typeof BalancerView>;

/** What an agent's health endpoint answers (GET /healthz). */
/** keepalived's states as its notify FIFO names them. */
export const VrrpRole = z.enum(['MASTER', 'BACKUP', 'FAULT', 'STOP']);
export type VrrpRole = z.infer<typeof VrrpRole>;

/** A gateway's part in one vrrp location: keepalived's last word on its role (null: none yet), and whether the floating IP is on this host. */
export const VrrpLocationView = z.strictObject({ location: z.string(), role: VrrpRole.nullable(), holdsVip: z.boolean() });
export type VrrpLocationView = z.infer<typeof VrrpLocationView>;

export const AgentHealth = z.object({
  ok: z.boolean(),
  role: AgentRoleSchema,
  host: z.string(),
  /** Version of the agent program. */
  version: z.string(),
  /** SHA-256 (hex) of the configuration file the agent runs with. */
  configSha256: z.string(),
  startedAt: z.string(),
  /** Why the agent is unhealthy (a gateway: its data plane), empty when it is healthy. */
  problems: z.array(z.string()).default([]),
  /** A gateway's data plane: how WireGuard runs, and each location's interface and peer count. */
  wireguard: z
    .object({
      mode: z.enum(['kernel', 'wireguard-go']).nullable(),
      locations: z.array(
        z.object({
          name: z.string(),
          interface: z.string(),
          peers: z.number().int(),
          revision: z.number().int(),
          /** Whether peers need an MFA session here (Core's last word, else the config file's). */
          mfa: z.boolean().optional(),
          /** MFA sessions this gateway ended for idleness that Core has not acknowledged yet (it was away). */
          expiredUnacknowledged: z.number().int().optional(),
          /** How long the last reading of the per-peer counters took, in ms. */
          statsReadMs: z.number().optional(),
        }),
      ),
    })
    .optional(),
  /** A balancer: nginx and each location's gateways as its checks see them. */
  balancer: BalancerView.optional(),
  /** A gateway with vrrp locations: each one's VRRP role (null: not known yet) and whether the floating IP is here. */
  vrrp: z.array(VrrpLocationView).optional(),
});
export type AgentHealth = z.infer<typeof AgentHealth>;

