// The configuration files Core writes for the agents (/etc/bulwark/<role>.json). Core renders
// them (config-gen/agent) and the agents parse them with these same schemas.
import { z } from 'zod';

export const AGENT_CONFIG_VERSION = 1;

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
});
export type GatewayAgentConfig = z.infer<typeof GatewayAgentConfig>;

export const EdgeAgentConfig = z.strictObject({ ...AgentBase, role: z.literal('edge') });
export type EdgeAgentConfig = z.infer<typeof EdgeAgentConfig>;

export const AgentConfig = z.discriminatedUnion('role', [GatewayAgentConfig, EdgeAgentConfig]);
export type AgentConfig = z.infer<typeof AgentConfig>;

/** What an agent's health endpoint answers (GET /healthz). */
export const AgentHealth = z.object({
  ok: z.boolean(),
  role: z.enum(['gateway', 'edge']),
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
});
export type AgentHealth = z.infer<typeof AgentHealth>;
