// One handler per contract procedure. The mapped type makes a missing or mistyped handler a
// compile error, so the contract and Core cannot drift apart.
import type { ProcOutput, ProcParsedInput, ProcedureName } from '../contract/index.js';
import type { DeviceService } from '../core/devices/device-service.js';
import type { EdgeService } from '../core/edges/edge-service.js';
import type { EventService } from '../core/events/event-service.js';
import type { GatewayService } from '../core/gateways/gateway-service.js';
import type { HostService } from '../core/hosts/host-service.js';
import type { HostCheck } from '../provision/host-check.js';
import type { LocationService } from '../core/locations/location-service.js';
import type { ProvisionService } from '../provision/provision-service.js';
import type { BackupService } from '../backup/backup-service.js';
import type { BundleService } from '../bundle/bundle-service.js';
import type { LinkHub } from '../link/link-hub.js';
import type { StatusModel } from '../status/location-status.js';
import type { BalancerWatch } from '../failover/balancer-watch.js';
import type { SessionService } from '../core/sessions/session-service.js';
import type { FailoverService } from '../failover/failover-service.js';
import type { EdgePublicService } from '../core/edges/edge-public.js';
import type { InviteService } from '../core/public/invite-service.js';
import type { LockoutService } from '../core/public/lockouts.js';
import type { EdgeStatusModel } from '../status/edge-status.js';
import type { FailoverHistory } from '../failover/failover-history.js';
import type { TopologyLayouts } from '../status/topology-layouts.js';
import type { TopologyModel } from '../status/topology-model.js';
import { uninstallHost } from './uninstall-host.js';

export type Handlers = {
  [N in ProcedureName]: (input: ProcParsedInput<N>) => ProcOutput<N> | Promise<ProcOutput<N>>;
};

export interface Services {
  info: () => ProcOutput<'system.info'>;
  locations: LocationService;
  hosts: HostService;
  hostCheck: HostCheck;
  gateways: GatewayService;
  edges: EdgeService;
  devices: DeviceService;
  events: EventService;
  provision: ProvisionService;
  bundles: BundleService;
  backups: BackupService;
  links: LinkHub;
  status: StatusModel;
  balancers: BalancerWatch;
  sessions: SessionService;
  failover: FailoverService;
  edgePublic: EdgePublicService;
  invites: InviteService;
  lockouts: LockoutService;
  edgeStatus: EdgeStatusModel;
  history: FailoverHistory;
  topology: TopologyModel;
  layouts: TopologyLayouts;
  drill: (location: string, holdMs: number) => Promise<ProcOutput<'failover.drill'>>;
}

export function createHandlers(s: Services): Handlers {
  return {
    'system.info': () => s.info(),
    'locations.list': () => s.locations.list(),
    'locations.get': (i) => s.locations.get(i.name),
    'locations.create': (i) => s.locations.create(i),
    'locations.update': (i) => {
      // Mutations run in one transaction: the location and its ended sessions commit together.
      const loc = s.locations.update(i);
      if (!loc.mfa) s.sessions.endLocation(loc.name, 'mfa_disabled');
      return loc;
    },
    'locations.remove': (i) => s.locations.remove(i.name),
    'locations.setFailover': (i) => s.failover.set(i),
    'hosts.list': () => s.hosts.list(),
    'hosts.get': (i) => s.hosts.get(i.name),
    'hosts.create': (i) => s.hosts.create(i),
    'hosts.update': (i) => s.hosts.update(i),
    'hosts.remove': (i) => s.hosts.remove(i.name, i.force),
    'hosts.check': (i) => s.hostCheck.check(i),
    'hosts.uninstall': (i) => uninstallHost(s, i.name),
    'provision.runs': (i) => s.provision.runs(i),
    'gateways.list': (i) => s.gateways.list(i.location),
    'gateways.add': (i) => s.gateways.add(i.location, i.host),
    'gateways.remove': (i) => s.gateways.remove(i.location, i.host),
    'edges.list': () => s.edges.list(),
    'edges.add': (i) => s.edges.add(i.host),
    'edges.remove': (i) => s.edges.remove(i.host),
    'edges.public': () => s.edgePublic.get(),
    'edges.setPublic': (i) => s.edgePublic.set(i),
    'invites.create': (i) => s.invites.create(i),
    'invites.list': (i) => s.invites.list(i),
    'invites.revoke': (i) => s.invites.revoke(i.id),
    'lockouts.list': () => s.lockouts.active(),
    'edges.status': () => s.edgeStatus.status(),
    'edges.nginxConfig': (i) => s.edgePublic.nginxConfig(i),
    'lockouts.clear': (i) => s.lockouts.clear(i.id),
    'devices.list': (i) => s.devices.list(i.location),
    'devices.search': (i) => s.status.search(i),
    'devices.get': (i) => s.status.device(i.location, i.name),
    'devices.add': (i) => s.devices.add(i),
    'devices.remove': (i) => s.devices.remove(i.location, i.name),
    'devices.config': (i) => s.devices.config(i.location, i.name, i.newKey),
    'devices.setEnabled': (i) => s.devices.setEnabled(i.location, i.name, i.enabled),
    'sessions.list': (i) => s.sessions.list(i.location, i.all),
    'sessions.start': (i) => s.sessions.start(i.location, i.device),
    'sessions.end': (i) => s.sessions.end(i.location, i.device),
    'events.list': (i) => s.events.list(i),
    'provision.plan': (i) => s.provision.plan(i),
    'provision.apply': (i) => s.provision.apply(i),
    'bundles.export': (i) => s.bundles.export(i),
    'bundles.signingKey': () => s.bundles.signingKey(),
    'bundles.rotateKey': () => s.bundles.rotateKey(),
    'core.backup': (i) => s.backups.make(i.passphrase),
    'links.list': () => s.links.list(),
    'locations.status': (i) => s.status.locationStatus(i.name, i.devices),
    'locations.lbConfig': (i) => s.failover.lbConfig(i.name, i.format),
    'locations.lbRelease': (i) => s.balancers.releaseGateway(i.name, i.gateway),
    'topology.get': () => s.topology.get(),
    'topology.layout': () => s.layouts.get(),
    'failover.history': (i) => s.history.history(i.location, i.limit),
    'failover.drill': (i) => s.drill(i.location, i.holdMs),
  };
}
