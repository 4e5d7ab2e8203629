// The topology: one snapshot of everything Bulwark runs and how it is doing, folded by Core from
// the links, heartbeats, stats and the store (derived, never stored). The UI's landing page draws
// it, `bulwark topology` prints it, /metrics exports it. Each node carries a state for its colour
// and a word for people (never colour alone); each problem names its node and its fix.
import { z } from 'zod';
import { AgentRoleSchema, VrrpRole } from './agent-config.js';
import { FailoverMode, FailoverRecord } from './failover.js';
import { LinkState } from './link.js';

/** ok: nothing to do; warning: redundancy or attention lost; down: not working; unknown: Core cannot tell. */
export const NodeState = z.enum(['ok', 'warning', 'down', 'unknown']);
export type NodeState = z.infer<typeof NodeState>;

export const Severity = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

/** What the UI's button for a problem does; the CLI prints the command instead. */
export const FixAction = z.discriminatedUnion('kind', [
  /** Open provisioning with a plan (of one host or location, or everything). */
  z.object({ kind: z.literal('plan'), host: z.string().nullable(), location: z.string().nullable() }),
  /** lb mode, manual failback: put a held-out gateway back into rotation. */
  z.object({ kind: z.literal('release'), location: z.string(), host: z.string() }),
  /** Show the host's SSH key and facts (its key changed, or it was never checked). */
  z.object({ kind: z.literal('checkHost'), host: z.string() }),
  /** End a lockout (after making sure it was the user). */
  z.object({ kind: z.literal('lockouts') }),
]);
export type FixAction = z.infer<typeof FixAction>;

export const TopologyProblem = z.object({
  /** Stable while the problem lasts (the UI keeps its selection across snapshots). */
  id: z.string(),
  /** The node it concerns (a node id of this snapshot). */
  node: z.string(),
  severity: Severity,
  /** What is wrong, in a sentence. */
  text: z.string(),
  /** The command that fixes it or shows more; null when the fix is outside Bulwark. */
  command: z.string().nullable(),
  action: FixAction.nullable(),
});
export type TopologyProblem = z.infer<typeof TopologyProblem>;

const NodeBase = z.object({ id: z.string(), state: NodeState, word: z.string() });

/** An agent's link as Core sees it; state "none" when Core has no link to make (not installed). */
export const AgentFacts = z.object({
  host: z.string(),
  role: AgentRoleSchema,
  link: z.union([LinkState.shape.state, z.literal('none')]),
  since: z.string().nullable(),
  reason: z.string().nullable(),
  version: z.string().nullable(),
  certNotAfter: z.string().nullable(),
  /** current: runs the config an apply would install; drift: an older one; unknown: not linked. */
  config: z.enum(['current', 'drift', 'unknown']),
});
export type AgentFacts = z.infer<typeof AgentFacts>;

export const TopologyCore = NodeBase.extend({
  version: z.string(),
  startedAt: z.string(),
  uptimeS: z.number().int(),
  caNotAfter: z.string().nullable(),
  /** Core's own client certificate (the one agents check). */
  certNotAfter: z.string().nullable(),
});

export const TopologyLocation = NodeBase.extend({
  name: z.string(),
  network: z.string(),
  endpoint: z.string(),
  mfa: z.boolean(),
  failover: z.object({
    mode: FailoverMode,
    vip: z.string().nullable(),
    /** vrrp: the gateways that say they hold the floating IP (one when all is well). */
    holders: z.array(z.string()),
    /** lb: the balancer's host. */
    balancer: z.string().nullable(),
    /** lb: gateways in the balancer's rotation; null when Core cannot see the balancer. */
    inRotation: z.number().int().nullable(),
  }),
  gateways: z.array(z.string()),
  devices: z.number().int(),
  /** Devices with a handshake within the last 3 minutes on any gateway. */
  activePeers: z.number().int(),
  /** MFA locations: active sessions; null otherwise. */
  sessions: z.number().int().nullable(),
  lastFailover: FailoverRecord.nullable(),
});
export type TopologyLocation = z.infer<typeof TopologyLocation>;

export const TopologyGateway = NodeBase.extend(AgentFacts.shape).extend({
  healthy: z.boolean().nullable(),
  wireguardMode: z.enum(['kernel', 'wireguard-go']).nullable(),
  locations: z.array(
    z.object({
      location: z.string(),
      /** vrrp: keepalived's last word; null before one or outside vrrp. */
      role: VrrpRole.nullable(),
      holdsVip: z.boolean(),
      /** Peers it applied; null before it said. */
      peers: z.number().int().nullable(),
      activePeers: z.number().int(),
      /** lb: in the balancer's rotation; null outside lb or when the balancer is not seen. */
      inRotation: z.boolean().nullable(),
    }),
  ),
});
export type TopologyGateway = z.infer<typeof TopologyGateway>;

export const TopologyBalancer = NodeBase.extend(AgentFacts.shape).extend({
  /** nginx for lb locations; null when it balances none or Core cannot see. */
  nginxRunning: z.boolean().nullable(),
  locations: z.array(z.object({ location: z.string(), inRotation: z.array(z.string()), out: z.array(z.string()) })),
  /** The edge balancer (HAProxy) on this host; null when it is not one. */
  edges: z.object({ inRotation: z.array(z.string()), out: z.array(z.string()), error: z.string().nullable() }).nullable(),
});
export type TopologyBalancer = z.infer<typeof TopologyBalancer>;

export const TopologyEdge = NodeBase.extend(AgentFacts.shape).extend({
  ready: z.boolean().nullable(),
  notReady: z.string().nullable(),
  /** In the edge balancer's rotation; null when there is none or Core cannot see it. */
  inRotation: z.boolean().nullable(),
  served: z.number().int().nullable(),
  failed: z.number().int().nullable(),
});
export type TopologyEdge = z.infer<typeof TopologyEdge>;

export const Topology = z.object({
  /** Grows by one with every change a client would see. */
  revision: z.number().int(),
  at: z.string(),
  core: TopologyCore,
  locations: z.array(TopologyLocation),
  gateways: z.array(TopologyGateway),
  balancers: z.array(TopologyBalancer),
  edges: z.array(TopologyEdge),
  publicName: z.string().nullable(),
  lockouts: z.number().int(),
  problems: z.array(TopologyProblem),
});
export type Topology = z.infer<typeof Topology>;

/**
 * Where the map puts each node (its top-left corner) when nothing is collapsed or filtered, for
 * the graph of one shape (src-main/graph/topology-layout.ts): a page that opens draws at once
 * instead of laying out 250 nodes first. A client whose graph has another shape lays it out itself.
 */
export const TopologyLayout = z.object({
  shape: z.string(),
  places: z.record(z.string(), z.object({ x: z.number(), y: z.number() })),
});
export type TopologyLayout = z.infer<typeof TopologyLayout>;

/** Node ids: one per agent host and role, one per location, and Core. */
export const nodeId = {
  core: 'core',
  location: (name: string) => `location:${name}`,
  gateway: (host: string) => `gateway:${host}`,
  balancer: (host: string) => `balancer:${host}`,
  edge: (host: string) => `edge:${host}`,
} as const;
