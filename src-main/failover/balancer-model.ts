// What a load balancer balances: an lb-mode location's gateways, where their WireGuard listens
// and where their data-plane health is. Used by provisioning (the balancer agent's config) and
// by `locations.lbConfig` (nginx or Envoy configuration for an admin's own load balancer).
import { BulwarkError, DATAPLANE_HEALTH_PATH, type BalancedLocation } from '../contract/index.js';
import { parseIp } from '../net/ip.js';
import { DATAPLANE_HEALTH_PORT } from '../contract/host-layout.js';
import type { Tx } from '../store/db.js';
import { hostRoles } from '../store/queries.js';
import { bracketHost, wildcardAddressFor } from '../net/endpoint.js';
import type { HostRow } from '../core/hosts/host-service.js';
import type { LocationRow } from '../core/locations/location-service.js';

/** The address a host has on its LAN (seen at host check), else the one Core reaches it at. */
export function lanAddressOf(h: { lan_address: string | null; ssh_address: string }): string {
  return h.lan_address ? h.lan_address.slice(0, h.lan_address.indexOf('/')) : h.ssh_address;
}

/** Where a load balancer on this host listens for clients: every address of its family. */
export function balancerListenAddress(lb: Pick<HostRow, 'ssh_address'>): string {
  return wildcardAddressFor(lb.ssh_address);
}

/**
 * The gateway's LAN address, which the load balancer sends to and checks. A host reached by
 * name whose LAN no host check has seen has none yet: that is an error naming the fix.
 */
export function balancedAddressOf(g: Pick<HostRow, 'name' | 'lan_address' | 'ssh_address'>, location: string): string {
  const address = lanAddressOf(g);
  if (parseIp(address) === null) {
    throw BulwarkError.field('host', `the load balancer of location ${location} needs gateway ${g.name}'s LAN address, and Bulwark has not seen it yet (${g.name} is reached as ${g.ssh_address}); run "bulwark host check ${g.name}" first`);
  }
  return address;
}

/** The location's gateways as a load balancer sees them; null when it has none. */
export function balancedLocation(tx: Tx, l: LocationRow): BalancedLocation | null {
  const gateways = tx.all<HostRow>('SELECT h.* FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? ORDER BY h.name', l.id);
  if (gateways.length === 0) return null;
  return {
    name: l.name,
    listenPort: l.endpoint_port,
    failback: l.failover_lb_failback ?? 'auto',
    gateways: gateways.map((g) => {
      const address = balancedAddressOf(g, l.name);
      return { host: g.name, address, port: l.endpoint_port, healthUrl: `http://${bracketHost(address)}:${DATAPLANE_HEALTH_PORT}${DATAPLANE_HEALTH_PATH}${encodeURIComponent(l.name)}` };
    }),
  };
}

/** The lb-mode locations a host balances, each with its gateways. */
export function balancedBy(tx: Tx, hostId: number): BalancedLocation[] {
  return hostRoles(tx, hostId)
    .balancer.flatMap((name) => tx.get<LocationRow>('SELECT * FROM locations WHERE name = ?', name) ?? [])
    .flatMap((l) => balancedLocation(tx, l) ?? []);
}
