// The edges' side of a host's model: what the HAProxy in front of the edges balances (every
// edge, by the address the balancer reaches it on), and which addresses an edge believes the
// client address from (the balancer's). Reads only.
import { isIP } from 'node:net';
import { BulwarkError } from '../contract/index.js';
import { EDGE_BALANCER_PORT, EDGE_PUBLIC_PORT, HAPROXY_PUBLIC_PEM, HAPROXY_STATS_SOCKET, HAPROXY_UNAVAILABLE_PAGE, TLS_CA } from '../contract/host-layout.js';
import { DEFAULT_EDGE_CHECK, type EdgeBalancerModel } from '../config-gen/haproxy/haproxy-conf.js';
import type { Tx } from '../store/db.js';
import type { HostRow } from '../core/hosts/host-service.js';
import { lanAddressOf } from '../failover/balancer-model.js';
import { wildcardAddressFor } from '../net/endpoint.js';

/** The balancer host, if the edges have one. */
function balancerRow(tx: Tx): HostRow | undefined {
  return tx.get<HostRow>('SELECT h.* FROM edge_settings s JOIN hosts h ON h.id = s.balancer_host_id WHERE s.id = 1');
}

/** The addresses an edge takes X-Forwarded-For from: the balancer's LAN and SSH addresses that are IPs, and the admin's own proxies. */
export function edgeTrustedProxies(tx: Tx): string[] {
  const b = balancerRow(tx);
  const own = JSON.parse(tx.get<{ trusted_proxies: string }>('SELECT trusted_proxies FROM edge_settings WHERE id = 1')?.trusted_proxies ?? '[]') as string[];
  return [...new Set([...(b ? [lanAddressOf(b), b.ssh_address] : []), ...own].filter((a) => isIP(a) !== 0))].sort();
}

/** HAProxy's model on this host, or null when it is not the edges' balancer. */
export function edgeBalancerOf(tx: Tx, row: HostRow): EdgeBalancerModel | null {
  const b = balancerRow(tx);
  if (!b || b.id !== row.id) return null;
  const edges = tx.all<HostRow>('SELECT h.* FROM edges e JOIN hosts h ON h.id = e.host_id ORDER BY h.name');
  if (edges.length === 0) {
    throw BulwarkError.field('host', `${row.name} is to balance the edges, but there is no edge yet; add one with "bulwark edge add --host HOST" (two or more for high availability)`, 'invalid_input');
  }
  return {
    host: row.name,
    listenAddress: wildcardAddressFor(row.ssh_address),
    port: EDGE_BALANCER_PORT,
    publicPem: HAPROXY_PUBLIC_PEM,
    caFile: TLS_CA,
    unavailablePage: HAPROXY_UNAVAILABLE_PAGE,
    statsSocket: HAPROXY_STATS_SOCKET,
    edges: edges.map((e) => {
      const address = lanAddressOf(e);
      if (isIP(address) === 0) {
        throw BulwarkError.field('host', `the edge balancer needs edge ${e.name}'s address, and Bulwark has not seen its LAN yet (it is reached as ${e.ssh_address}); run "bulwark host check ${e.name}" first`);
      }
      return { host: e.name, address, port: EDGE_PUBLIC_PORT };
    }),
    check: { ...DEFAULT_EDGE_CHECK },
  };
}
