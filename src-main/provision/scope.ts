// Which hosts an apply or plan covers, and each one's model: its roles, locations (with their
// failover and gateways), floating IPs, load balancer and what its preflight must check. Reads
// only; the service turns it into desired files.
import { z } from 'zod';
import { BulwarkError, DEFAULT_LB_CHECK } from '../contract/index.js';
import type { LoadedArtifacts } from './artifacts.js';
import { unitName } from '../config-gen/systemd/agent-unit.js';
import { KEEPALIVED_UNIT } from '../config-gen/systemd/keepalived-unit.js';
import type { HostModel } from './plan/desired-state.js';
import { EDGES_GROUP } from './rollout/rollout-plan.js';
import { instanceName, type KeepalivedModel } from '../config-gen/keepalived/keepalived-conf.js';
import { CONTROL_PORT, DATAPLANE_HEALTH_PORT, HEALTH_PORT, KEEPALIVED_FIFO, trackFilePath, interfaceName, locationKeyPath } from '../contract/host-layout.js';
import type { HostNeeds } from '../host-state/preflight.js';
import type { HostJob } from './remote/host-run.js';
import type { Tx } from '../store/db.js';
import { hasRole, hostRoles, locationGateways } from '../store/queries.js';
import { requireHost, type HostRow } from '../core/hosts/host-service.js';
import { gatewayAddressOf, requireLocation, type LocationRow } from '../core/locations/location-service.js';
import { balancedBy, balancerListenAddress, lanAddressOf } from '../failover/balancer-model.js';
import { wildcardAddressFor } from '../net/endpoint.js';
import { edgeBalancerOf, edgeTrustedProxies } from './edge-scope.js';
import { HAPROXY_UNIT, EDGE_BALANCER_PORT, EDGE_PUBLIC_PORT } from '../contract/host-layout.js';

const NameRow = z.object({ name: z.string() });

export interface ScopedHost {
  row: HostRow;
  model: Omit<HostModel, 'tls' | 'locationKeys'>;
  udpPorts: HostNeeds['udpPorts'];
  /** The locations it is a gateway of: failover mode, every gateway, the load balancer. */
  locations: { name: string; mode: LocationRow['failover_mode'] | 'edges'; gateways: string[]; balancer: string | null }[];
}

/** A location whose clients can move to another gateway while one changes (the rollout's unit). */
export const rolls = (l: ScopedHost['locations'][number]): l is ScopedHost['locations'][number] & { mode: 'vrrp' | 'lb' | 'edges' } => l.mode !== 'none' && l.gateways.length >= 2;

/**
 * Whether an apply stops anything the host serves: a unit restarts or stops. Files alone, a
 * first start and a reload do not (host-apply hands over on the same test). Pure.
 */
export function interrupts(units: { action: string }[]): boolean {
  return units.some((u) => u.action === 'restart' || u.action === 'stop');
}

/**
 * The floating IPs a gateway hands over before its units restart in a rolling apply: those of
 * its vrrp locations, when each has another gateway to take it; null when any is a lone
 * gateway's (it keeps its address while only its agent restarts) or there is none.
 */
export function handoverOf(model: ScopedHost['model'], rolling: ReadonlySet<string>): HostJob['handover'] {
  const vrrp = model.gatewayLocations.filter((l) => l.vrrp);
  // One keepalived carries them all: stopping it for the others would cut a lone one off.
  if (vrrp.some((l) => !rolling.has(l.name))) return null;
  const vips = vrrp.flatMap((l) => (l.vrrp ? [{ location: l.name, interface: l.vrrp.interface, address: l.vrrp.vip.slice(0, l.vrrp.vip.indexOf('/')) }] : []));
  return vips.length > 0 ? { unit: KEEPALIVED_UNIT, vips } : null;
}

/** The hosts of one host's, one location's (its gateways and load balancer) or every host's apply, each with its model. */
export function hostsInScope(tx: Tx, scope: { location?: string; host?: string }): ScopedHost[] {
  let rows: HostRow[];
  if (scope.host !== undefined) rows = [requireHost(tx, scope.host, 'host')];
  else if (scope.location !== undefined) {
    const loc = requireLocation(tx, scope.location, 'location');
    // The location's gateways, and its load balancer (whose config lists the gateways).
    rows = tx.all<HostRow>(
      `SELECT h.* FROM hosts h WHERE h.id IN (SELECT g.host_id FROM gateways g WHERE g.location_id = ?)
         OR (h.id = ? AND ? = 'lb') ORDER BY h.name`,
      loc.id,
      loc.failover_lb_host_id ?? -1,
      loc.failover_mode,
    );
    if (rows.length === 0) {
      throw BulwarkError.field('location', `location ${JSON.stringify(loc.name)} has no gateways; add one with "bulwark gateway add --location ${loc.name} --host HOST"`, 'not_found');
    }
  } else {
    // Hosts with a role, and hosts Bulwark installed on: one that lost its last role still
    // runs agents until an apply removes them.
    rows = tx.all<HostRow>('SELECT * FROM hosts ORDER BY name').filter((h) => h.provisioned_at !== null || hasRole(hostRoles(tx, h.id)));
    if (rows.length === 0) throw new BulwarkError('not_found', 'no host has a role yet; make one a gateway ("bulwark gateway add") or an edge ("bulwark edge add") first');
  }
  return rows.map((row) => modelOf(tx, row));
}

/** A gateway's part in its vrrp locations: where the floating IP goes on it, and its keepalived. */
export function vrrpOf(tx: Tx, row: HostRow, locations: LocationRow[]) {
  const vrrp = new Map<string, { vip: string; interface: string; instance: string; trackFile: string }>();
  const instances: KeepalivedModel['instances'] = [];
  for (const l of locations) {
    if (l.failover_mode !== 'vrrp' || !l.failover_vip || l.failover_router_id === null || l.failover_advert_cs === null) continue;
    const iface = l.failover_interface ?? row.lan_interface;
    if (!iface) {
      throw BulwarkError.field('host', `Bulwark has not seen host ${row.name}'s network yet, and location ${l.name}'s floating IP goes on its LAN interface; run "bulwark host check ${row.name}" first`);
    }
    const others = tx.all<{ lan_address: string | null; ssh_address: string }>(
      'SELECT h.lan_address, h.ssh_address FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? AND h.id != ? ORDER BY h.name',
      l.id,
      row.id,
    );
    vrrp.set(l.name, { vip: l.failover_vip, interface: iface, instance: instanceName(l.name), trackFile: trackFilePath(l.name) });
    instances.push({
      location: l.name,
      interface: iface,
      routerId: l.failover_router_id,
      advertInterval: l.failover_advert_cs / 100,
      vip: l.failover_vip,
      unicast: l.failover_unicast === 1 ? { source: lanAddressOf(row), peers: others.map(lanAddressOf) } : null,
      trackFile: trackFilePath(l.name),
    });
  }
  return { vrrp, keepalived: instances.length > 0 ? { host: row.name, notifyFifo: KEEPALIVED_FIFO, instances } : null };
}

export function modelOf(tx: Tx, row: HostRow): ScopedHost {
  const locations = tx.all<LocationRow>('SELECT l.* FROM locations l JOIN gateways g ON g.location_id = l.id WHERE g.host_id = ? ORDER BY l.name', row.id);
  const edge = hostRoles(tx, row.id).edge;
  const edgeBalancer = edgeBalancerOf(tx, row);
  const { vrrp, keepalived } = vrrpOf(tx, row, locations);
  const lbLocations = locations.filter((l) => l.failover_mode === 'lb').map((l) => l.name);
  const balanced = balancedBy(tx, row.id);
  // The balancer agent also reports the edges' HAProxy when it runs here.
  const balancer: HostModel['balancer'] = balanced.length === 0 && !edgeBalancer ? null : { listenAddress: balancerListenAddress(row), check: { ...DEFAULT_LB_CHECK }, locations: balanced };
  return {
    row,
    model: {
      name: row.name,
      edge,
      controlAddress: wildcardAddressFor(row.ssh_address),
      gatewayLocations: locations.map((l) => ({
        name: l.name,
        interface: interfaceName(l.name),
        privateKeyFile: locationKeyPath(l.name),
        network: l.network,
        gatewayAddress: gatewayAddressOf(l),
        listenPort: l.endpoint_port,
        publicKey: l.wg_public_key,
        mfa: l.mfa === 1,
        disconnectThreshold: l.disconnect_threshold,
        vrrp: vrrp.get(l.name) ?? null,
      })),
      keepalived,
      lanHealth: lbLocations.length > 0 ? { address: lanAddressOf(row), port: DATAPLANE_HEALTH_PORT, locations: lbLocations } : null,
      balancer,
      edgeTrustedProxies: edge ? edgeTrustedProxies(tx) : [],
      edgeBalancer: edgeBalancer ? { config: edgeBalancer, publicPem: null } : null,
    },
    locations: locations.map((l): ScopedHost['locations'][number] => ({
      name: l.name,
      mode: l.failover_mode,
      gateways: locationGateways(tx, l.id),
      balancer: l.failover_mode === 'lb' ? (tx.all('SELECT name FROM hosts WHERE id = ?', l.failover_lb_host_id ?? -1).map((r) => NameRow.parse(r).name)[0] ?? null) : null,
    })).concat(edge ? [{ name: EDGES_GROUP, mode: 'edges' as const, gateways: tx.all('SELECT h.name FROM edges e JOIN hosts h ON h.id = e.host_id ORDER BY h.name').map((r) => NameRow.parse(r).name), balancer: null }] : []),
    udpPorts: [
      ...locations.map((l) => ({ port: l.endpoint_port, unit: unitName('gateway'), what: `WireGuard of location ${l.name}` })),
      ...(balancer?.locations ?? []).map((l) => ({ port: l.listenPort, unit: unitName('balancer'), what: `the load balancer of location ${l.name}` })),
    ],
  };
}

/** What the preflight checks on a host: its roles' packages, ports and privileges. */
export function needsOf(h: ScopedHost, artifacts: LoadedArtifacts): HostNeeds {
  const gateway = h.model.gatewayLocations.length > 0;
  return {
    host: h.row.name,
    sshUser: h.row.ssh_user,
    runtimeArch: artifacts.info.arch,
    gateway,
    keepalived: h.model.keepalived !== null,
    edge: h.model.edge,
    balancer: (h.model.balancer?.locations.length ?? 0) > 0,
    edgeBalancer: h.model.edgeBalancer !== null,
    tcpPorts: [
      ...(gateway
        ? [
            { port: HEALTH_PORT.gateway, unit: unitName('gateway'), what: 'gateway agent health' },
            { port: CONTROL_PORT.gateway, unit: unitName('gateway'), what: "gateway agent's control link" },
          ]
        : []),
      ...(h.model.edge
        ? [
            { port: HEALTH_PORT.edge, unit: unitName('edge'), what: 'edge agent health' },
            { port: CONTROL_PORT.edge, unit: unitName('edge'), what: "edge agent's control link" },
            { port: EDGE_PUBLIC_PORT, unit: unitName('edge'), what: "the edge's public HTTPS service" },
          ]
        : []),
      ...(h.model.edgeBalancer
        ? [
            { port: EDGE_BALANCER_PORT, unit: HAPROXY_UNIT, what: 'the edge balancer (HTTPS)' },
            ...(EDGE_BALANCER_PORT === 443 ? [{ port: 80, unit: HAPROXY_UNIT, what: "the edge balancer's redirect to HTTPS" }] : []),
          ]
        : []),
      ...(h.model.lanHealth ? [{ port: DATAPLANE_HEALTH_PORT, unit: unitName('gateway'), what: "the gateway's health checks for the load balancer" }] : []),
      ...(h.model.balancer
        ? [
            { port: HEALTH_PORT.balancer, unit: unitName('balancer'), what: 'balancer agent health' },
            { port: CONTROL_PORT.balancer, unit: unitName('balancer'), what: "balancer agent's control link" },
          ]
        : []),
    ],
    udpPorts: [...new Map(h.udpPorts.map((p) => [p.port, p])).values()],
  };
}

