// system/: the composition root, the one place that builds every service and wires adapters
// to them. Only entry points (serve.ts, main.ts, tests) import it; no room below it does.
import { dirname, join, resolve } from 'node:path';
import {
  BulwarkError,
  fromZodError,
  invariant,
  isProcedureName,
  procedures,
  type CoreEvent,
  type DownloadKind,
  type Topology,
  type EventKind,
  type KnownEvent,
  type ProcOutput,
  type ProcedureName,
  type ProcInput,
} from '../contract/index.js';
import { Store } from '../store/db.js';
import { DeviceService } from '../core/devices/device-service.js';
import { EdgeService } from '../core/edges/edge-service.js';
import { EventService } from '../core/events/event-service.js';
import { GatewayService } from '../core/gateways/gateway-service.js';
import { HostService } from '../core/hosts/host-service.js';
import { HostCheck } from '../provision/host-check.js';
import { generateWireGuardKeyPair } from '../core/keys/wireguard.js';
import { SshSession } from '../provision/ssh/session.js';
import { identityFileProblem } from '../provision/ssh/identity-file.js';
import { SecretBox } from '../core/keys/secret-box.js';
import { checkMasterKey } from '../core/keys/key-check.js';
import { BackupService } from '../backup/backup-service.js';
import { BundleSigner } from '../bundle/signing-key.js';
import { BundleService } from '../bundle/bundle-service.js';
import { LocationService } from '../core/locations/location-service.js';
import { ProvisionService } from '../provision/provision-service.js';
import { DEFAULT_LINK_SETTINGS, type LinkSettings } from '../link/link.js';
import { LinkHub } from '../link/link-hub.js';
import { PeerSync } from '../link/peer-sync.js';
import { SessionRelay } from '../link/session-relay.js';
import { CertRenewal } from '../link/cert-renewal.js';
import { StatusModel } from '../status/location-status.js';
import { BalancerWatch } from '../failover/balancer-watch.js';
import { runDrill } from '../failover/failover-drill.js';
import { FailoverHistory } from '../failover/failover-history.js';
import { TopologyLayouts } from '../status/topology-layouts.js';
import { TopologyModel } from '../status/topology-model.js';
import { expectedAgentConfigs } from '../provision/expected-configs.js';
import { PkiService } from '../core/pki/pki-service.js';
import { SessionService } from '../core/sessions/session-service.js';
import { FailoverService } from '../failover/failover-service.js';
import { callContext, currentActor, currentOrigin, type CallContext } from '../core/context.js';
import type { CorePorts } from '../core/ports.js';
import { createHandlers, type Handlers } from './router.js';
import { RolloutLiveView } from './rollout-live.js';
import { EdgePublicService } from '../core/edges/edge-public.js';
import { InviteService } from '../core/public/invite-service.js';
import { EnrollmentService } from '../core/public/enrollment-service.js';
import { ConnectService } from '../core/public/connect-service.js';
import { AttemptLimiter } from '../core/public/attempt-limiter.js';
import { LockoutService } from '../core/public/lockouts.js';
import { EdgeRelay } from '../edge/edge-relay.js';
import { GatewayConfirmations } from '../edge/confirm.js';
import { ReplyCache } from '../edge/reply-cache.js';
import { EdgeStatusModel } from '../status/edge-status.js';

export { VERSION } from '../contract/index.js';
import { VERSION } from '../contract/index.js';
import type { DownloadSource } from '../platform/once-downloads.js';

export interface CoreOptions {
  /** Path of the SQLite file (created if missing). */
  dbFile: string;
  /** 32-byte key that seals secrets in the database. */
  masterKey: Buffer;
  /** The built agent artifacts (dist/agents); provisioning needs them. */
  agentsDir?: string;
  /** Heartbeat, down-after and backoff times of the control links. */
  link?: Partial<LinkSettings>;
  ports?: Partial<CorePorts>;
  /** Called when a handler or output check fails with a non-user error (a bug). */
  onInternalError?: (name: string, err: unknown) => void;
  /** The API token (bulwark serve's), which a backup carries; none in the desktop app. */
  apiToken?: string;
}

export interface Core {
  /** Parses the input, runs the procedure as `ctx.actor`, checks the output. Throws BulwarkError. */
  call(name: string, input: unknown, ctx: CallContext): Promise<unknown>;
  /** Typed form for in-process callers (the Electron shell, tests). */
  invoke<N extends ProcedureName>(name: N, input: ProcInput<N>, ctx?: CallContext): Promise<ProcOutput<N>>;
  /** Called after each commit with the events it wrote, in id order. */
  onDidEvent(listener: (event: CoreEvent) => void): () => void;
  /** Called with each new revision of the topology (only while someone listens is it folded unasked). */
  onDidChangeTopology(listener: (topology: Topology) => void): () => void;
  lastEventId(): number;
  readonly store: Store;
  readonly services: { locations: LocationService; pki: PkiService; links: LinkHub; peers: PeerSync; sessions: SessionService; topology: TopologyModel };
  /** Files waiting for their one download: exported bundles, backups (GET /api/v1/<kind>/<id>, or the desktop's save dialog). */
  readonly downloads: Record<DownloadKind, DownloadSource>;
  /** Makes the CA on first start and starts dialling the agents. Entry points call it once. */
  start(): Promise<void>;
  close(): void;
}

/** Event kinds after which the set of agents Core links with may differ (besides a failover change). */
export const LINK_TARGET_CHANGES: ReadonlySet<EventKind> = new Set([
  'gateway.added',
  'gateway.removed',
  'edge.added',
  'edge.removed',
  'edge.public_set',
  'host.created',
  'host.removed',
  'host.pinned',
  'host.uninstalled',
  'provision.host_finished',
  // A bundle makes its host one Core dials (it may be installed offline any time from now).
  'bundle.exported',
  'certificate.revoked',
] satisfies EventKind[]);


export function createCore(opts: CoreOptions): Core {
  const ports: CorePorts = {
    now: () => new Date(),
    generateKeyPair: generateWireGuardKeyPair,
    identityFileProblem: (path) => identityFileProblem(path, dirname(resolve(opts.dbFile))),
    connectSsh: (target, pinned) => SshSession.connect(target, pinned),
    ...opts.ports,
  };
  const startedAt = ports.now().toISOString();
  const store = Store.open(opts.dbFile, { now: ports.now, actor: currentActor, origin: currentOrigin, onListenerError: (err) => opts.onInternalError?.('event listener', err) });
  const secrets = new SecretBox(opts.masterKey);
  try {
    checkMasterKey(store, secrets, ports.now);
  } catch (err) {
    store.close();
    throw err;
  }
  const locations = new LocationService(store, secrets, ports);
  const events = new EventService(store);
  const pki = new PkiService(store, secrets, ports);
  const sessions = new SessionService(store, ports);
  const links = new LinkHub(store, pki, ports, { ...DEFAULT_LINK_SETTINGS, ...opts.link });
  // Subscribers to the links, in the order they hear a link come up: its peers, then its certificate.
  const peers = new PeerSync(links, store, sessions);
  const relay = new SessionRelay(links, peers, sessions, ports);
  const renewal = new CertRenewal(links, store, pki, ports);
  const status = new StatusModel(links, store, sessions);
  const balancers = new BalancerWatch(links, store, status);
  const history = new FailoverHistory(links, store);
  const devices = new DeviceService(store, ports, sessions);
  const edgePublic = new EdgePublicService(store, ports, secrets, pki);
  const invites = new InviteService(store, ports);
  const limiter = new AttemptLimiter();
  const lockouts = new LockoutService(store, ports);
  const edgeStatus = new EdgeStatusModel(links, store, edgePublic, lockouts);
  const topology = new TopologyModel({
    hub: links,
    store,
    status,
    lastFailovers: () => history.latest(),
    info: () => ({ version: VERSION, startedAt }),
    expectedConfigs: expectedAgentConfigs,
    endDates: () => pki.endDates(),
    activeSessions: (location) => sessions.active(location).size,
    lockouts: () => lockouts.active().length,
  });
  const layouts = new TopologyLayouts(() => topology.get());
  const connect = new ConnectService(store, ports, secrets, sessions, limiter);
  const edgeRelay = new EdgeRelay({
    hub: links,
    settings: edgePublic,
    enrollment: new EnrollmentService(store, ports, secrets, invites, devices, limiter),
    connect,
    confirmations: new GatewayConfirmations(links, peers, store),
    replies: new ReplyCache(store, ports),
    onInternalError: (call, err) => opts.onInternalError?.(call, err),
  });
  // Roles, provisioning, revocations and a change of load balancer (the balancer role) change
  // which agents Core should be linked with.
  const unsubscribeLinks = store.onDidCommit((evs) => {
    const roles = (e: KnownEvent) => LINK_TARGET_CHANGES.has(e.kind) || (e.kind === 'location.updated' && e.details.failover !== undefined);
    if (evs.some(roles)) links.sync();
    // An agent that was just installed or restarted is worth dialling now, not after the backoff.
    for (const e of evs) if (e.kind === 'provision.host_finished' && e.details.outcome === 'applied') links.redial(e.details.host);
    peers.committed(evs);
    relay.committed(evs);
    edgeRelay.committed(evs);
    status.committed(evs);
    topology.committed(evs);
    layouts.committed(evs);
  });
  const provision = new ProvisionService(store, ports, opts.agentsDir, pki, locations, new RolloutLiveView(status, balancers, links, edgeStatus), edgePublic);
  const signer = new BundleSigner(store, secrets, ports.now);
  const bundles = new BundleService(store, ports, provision, signer, join(dirname(resolve(opts.dbFile)), 'bundles'));
  const backups = new BackupService(store, { masterKey: opts.masterKey, token: opts.apiToken }, ports.now, join(dirname(resolve(opts.dbFile)), 'backups'));
  const handlers: Handlers = createHandlers({
    info: () => ({ version: VERSION, startedAt, schemaVersion: store.schemaVersion }),
    locations,
    hosts: new HostService(store, ports),
    hostCheck: new HostCheck(store, ports),
    gateways: new GatewayService(store, ports, pki),
    edges: new EdgeService(store, ports, pki),
    devices,
    edgePublic,
    invites,
    lockouts,
    edgeStatus,
    sessions,
    failover: new FailoverService(store, (name) => locations.get(name), (tx, host, reason) => pki.revokeAgent(tx, 'balancer', host, reason)),
    events,
    provision,
    bundles,
    backups,
    links,
    status,
    balancers,
    history,
    topology,
    layouts,
    drill: (location, holdMs) => runDrill({ hub: links, store, history, status: (name) => status.locationStatus(name, false) }, location, holdMs),
  });

  async function call(name: string, input: unknown, ctx: CallContext): Promise<unknown> {
    if (!isProcedureName(name)) {
      throw new BulwarkError('unknown_procedure', `no procedure named ${JSON.stringify(name)}; this Core offers ${Object.keys(procedures).join(', ')}`);
    }
    const def = procedures[name];
    const parsed = def.input.safeParse(input ?? {});
    if (!parsed.success) throw fromZodError(parsed.error);
    const handler = handlers[name] as (i: unknown) => unknown;
    const checkOutput = (result: unknown) => {
      const out = def.output.safeParse(result);
      if (!out.success) {
        opts.onInternalError?.(name, out.error);
        throw new BulwarkError('internal', `${name} returned output that does not match the contract (a Bulwark bug): ${out.error.message}`);
      }
      return out.data;
    };
    try {
      if (def.kind === 'mutation') {
        // The output is checked before the commit: a change is never stored while its
        // caller gets an error (and, for devices.add, loses the only copy of a private key).
        return callContext.run(ctx, () =>
          store.write(() => {
            const result = handler(parsed.data);
            invariant(!(result instanceof Promise), `mutation ${name} is synchronous`);
            return checkOutput(result);
          }),
        );
      }
      return checkOutput(await callContext.run(ctx, () => handler(parsed.data)));
    } catch (err) {
      if (err instanceof BulwarkError) throw err;
      opts.onInternalError?.(name, err);
      throw new BulwarkError('internal', `${name} failed inside Core: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  }

  return {
    call,
    invoke: (name, input, ctx = { actor: 'core' }) => call(name, input, ctx) as never,
    onDidEvent: (listener) => store.onDidCommit((evs) => evs.forEach(listener)),
    onDidChangeTopology: (listener) => topology.onDidChange(listener),
    lastEventId: () => events.lastId(),
    store,
    services: { locations, pki, links, peers, sessions, topology },
    downloads: {
      bundles: {
        file: (id) => bundles.archive(id),
        discard: (id) => bundles.discard(id),
        fileName: (id) => `bulwark-bundle-${id}.tar.gz`,
        contentType: 'application/gzip',
        missing: (id) => `no bundle ${JSON.stringify(id)} is waiting for download: each is fetched once, within an hour of its export; export it again`,
      },
      backups: {
        file: (id) => backups.file(id),
        discard: (id) => backups.discard(id),
        fileName: (id) => `bulwark-backup-${id}.bulwark-backup`,
        contentType: 'application/octet-stream',
        missing: (id) => `no backup ${JSON.stringify(id)} is waiting for download: each is fetched once, within an hour; make it again`,
      },
    },
    start: async () => {
      await pki.ca();
      signer.ensure();
      links.start();
      renewal.start();
    },
    close: () => {
      unsubscribeLinks();
      topology.close();
      layouts.close();
      renewal.stop();
      links.stop();
      store.close();
    },
  };
}
