// The one contract between Core and its clients (renderer over IPC, browser and CLI over HTTP).
// Every procedure is named "area.verb" and has a zod input and output; types are inferred.
import { z } from 'zod';
import { Empty } from './schemas/common.js';
import { Location, LocationCreateInput, LocationRef, LocationUpdateInput } from './schemas/location.js';
import { FailoverDrillInput, FailoverDrillOutput, FailoverHistoryInput, FailoverRecord, LbConfig, LbConfigInput, LbReleaseInput, LocationFailoverInput } from './schemas/failover.js';
import { Host, HostCheckInput, HostCheckOutput, HostCreateInput, HostRef, HostRemoveInput, HostUpdateInput } from './schemas/host.js';
import { Edge, EdgeRef, Gateway, GatewayListInput, GatewayRef } from './schemas/membership.js';
import { Device, DeviceAddInput, DeviceAddOutput, DeviceConfigInput, DeviceListInput, DeviceRef, DeviceSearchInput, DeviceSearchOutput, DeviceSearchRow, DeviceSetEnabledInput } from './schemas/device.js';
import { CoreEvent, EventListInput } from './schemas/event.js';
import { Session, SessionListInput, SessionRef } from './schemas/session.js';
import { LinkState, LocationStatus, LocationStatusInput } from './schemas/link.js';
import { Topology, TopologyLayout } from './schemas/topology.js';
import { EdgePublic, EdgeSetPublicInput, EdgeStatus, Invite, InviteCreateInput, InviteCreateOutput, InviteListInput, InviteRef, Lockout, LockoutRef } from './schemas/invite.js';
import { BackupInput, BackupMade } from './schemas/backup.js';
import { BundleExportInput, BundleExportOutput, BundleSigningKey } from './schemas/bundle.js';
import { HostUninstallInput, HostUninstallOutput, ProvisionApplyInput, ProvisionApplyOutput, ProvisionPlanInput, ProvisionPlanOutput, ProvisionRunsInput, ProvisionRunSummary } from './schemas/provision.js';

/** query: reads; mutation: one synchronous write transaction; action: async work (SSH, hosts) that writes through its own transactions. */
export type ProcedureKind = 'query' | 'mutation' | 'action';

export interface ProcedureDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  kind: ProcedureKind;
  input: I;
  output: O;
}

const query = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ kind: 'query' as const, input, output });
const mutation = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ kind: 'mutation' as const, input, output });
const action = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ kind: 'action' as const, input, output });

export const SystemInfo = z.object({
  version: z.string(),
  /** When this Core process started (ISO time). */
  startedAt: z.string(),
  /** SQLite schema version reached by the migrations. */
  schemaVersion: z.number().int(),
});

export const Removed = z.object({ removed: z.literal(true) });

export const procedures = {
  'system.info': query(Empty, SystemInfo),

  'locations.list': query(Empty, z.array(Location)),
  'locations.get': query(LocationRef, Location),
  'locations.create': mutation(LocationCreateInput, Location),
  'locations.update': mutation(LocationUpdateInput, Location),
  'locations.remove': mutation(LocationRef, Removed),
  'locations.setFailover': mutation(LocationFailoverInput, Location),

  'hosts.list': query(Empty, z.array(Host)),
  'hosts.get': query(HostRef, Host),
  'hosts.create': mutation(HostCreateInput, Host),
  'hosts.update': mutation(HostUpdateInput, Host),
  'hosts.remove': mutation(HostRemoveInput, Removed),
  'hosts.check': action(HostCheckInput, HostCheckOutput),
  'hosts.uninstall': action(HostUninstallInput, HostUninstallOutput),

  'gateways.list': query(GatewayListInput, z.array(Gateway)),
  'gateways.add': mutation(GatewayRef, Gateway),
  'gateways.remove': mutation(GatewayRef, Removed),

  'edges.list': query(Empty, z.array(Edge)),
  'edges.add': mutation(EdgeRef, Edge),
  'edges.remove': mutation(EdgeRef, Removed),

  'devices.list': query(DeviceListInput, z.array(Device)),
  'devices.search': query(DeviceSearchInput, DeviceSearchOutput),
  'devices.get': query(DeviceRef, DeviceSearchRow),
  'devices.add': mutation(DeviceAddInput, DeviceAddOutput),
  'devices.remove': mutation(DeviceRef, Removed),
  'devices.config': mutation(DeviceConfigInput, DeviceAddOutput),
  'devices.setEnabled': mutation(DeviceSetEnabledInput, Device),

  'sessions.list': query(SessionListInput, z.array(Session)),
  'sessions.start': mutation(SessionRef, Session),
  'sessions.end': mutation(SessionRef, Session),

  'edges.public': query(Empty, EdgePublic.nullable()),
  'edges.setPublic': action(EdgeSetPublicInput, EdgePublic),
  'edges.status': query(Empty, EdgeStatus),
  'edges.nginxConfig': action(
    z.strictObject({ certificate: z.string().default('/etc/nginx/tls/bulwark-public.pem'), certificateKey: z.string().default('/etc/nginx/tls/bulwark-public.key'), caFile: z.string().default('/etc/nginx/tls/bulwark-ca.pem') }),
    z.object({ config: z.string(), caPem: z.string() }),
  ),

  'invites.create': mutation(InviteCreateInput, InviteCreateOutput),
  'invites.list': query(InviteListInput, z.array(Invite)),
  'invites.revoke': mutation(InviteRef, Invite),
  'lockouts.list': query(Empty, z.array(Lockout)),
  'lockouts.clear': mutation(LockoutRef, Lockout),

  'events.list': query(EventListInput, z.array(CoreEvent)),

  'provision.plan': action(ProvisionPlanInput, ProvisionPlanOutput),
  'provision.apply': action(ProvisionApplyInput, ProvisionApplyOutput),
  'provision.runs': query(ProvisionRunsInput, z.array(ProvisionRunSummary)),
  'bundles.export': action(BundleExportInput, BundleExportOutput),
  'bundles.signingKey': query(Empty, BundleSigningKey),
  'bundles.rotateKey': mutation(Empty, BundleSigningKey),
  'core.backup': action(BackupInput, BackupMade),

  'links.list': query(Empty, z.array(LinkState)),
  'locations.status': query(LocationStatusInput, LocationStatus),
  'locations.lbConfig': query(LbConfigInput, LbConfig),
  'locations.lbRelease': action(LbReleaseInput, LocationStatus),
  'topology.get': query(Empty, Topology),
  'topology.layout': query(Empty, TopologyLayout),
  'failover.history': query(FailoverHistoryInput, z.array(FailoverRecord)),
  'failover.drill': action(FailoverDrillInput, FailoverDrillOutput),
} as const satisfies Record<string, ProcedureDef>;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
export type ProcInput<N extends ProcedureName> = z.input<Procedures[N]['input']>;
export type ProcParsedInput<N extends ProcedureName> = z.output<Procedures[N]['input']>;
export type ProcOutput<N extends ProcedureName> = z.output<Procedures[N]['output']>;

export const PROCEDURE_NAMES = Object.keys(procedures) as ProcedureName[];

export function isProcedureName(name: string): name is ProcedureName {
  return Object.prototype.hasOwnProperty.call(procedures, name);
}

/** Messages on the event stream (WebSocket and IPC alike). */
export const StreamMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: CoreEvent }),
  /** Sent once when a subscriber is attached; `lastId` is the newest event id at that moment. */
  z.object({ type: z.literal('ready'), lastId: z.number().int() }),
  /** The topology changed (a new revision): sent to each subscriber as it happens, and once when it attaches. */
  z.object({ type: z.literal('topology'), topology: Topology }),
]);
export type StreamMessage = z.infer<typeof StreamMessage>;

/** A client of the contract, whatever the transport. */
export interface ContractClient {
  call<N extends ProcedureName>(name: N, input: ProcInput<N>): Promise<ProcOutput<N>>;
}
