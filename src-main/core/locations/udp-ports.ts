// Which UDP ports a location takes on which hosts: its endpoint port on every gateway (its
// WireGuard interface) and, in lb mode, on its load balancer. Two locations on one host with the
// same port cannot both bind it, so a change that would make them share one is refused here,
// naming the other location, the host and the port, before anything reaches a host.
import { BulwarkError } from '../../contract/index.js';
import { formatEndpoint } from '../../net/endpoint.js';
import type { Tx } from '../../store/db.js';

interface Listener {
  location: string;
  host: string;
  host_id: number;
  port: number;
  role: 'gateway' | 'balancer';
}

const LISTENERS = `SELECT * FROM (
  SELECT l.id AS location_id, l.name AS location, h.id AS host_id, h.name AS host, l.endpoint_port AS port, 'gateway' AS role
    FROM gateways g JOIN locations l ON l.id = g.location_id JOIN hosts h ON h.id = g.host_id
  UNION ALL
  SELECT l.id, l.name, h.id, h.name, l.endpoint_port, 'balancer'
    FROM locations l JOIN hosts h ON h.id = l.failover_lb_host_id WHERE l.failover_mode = 'lb'
) WHERE location_id != ?`;

const AS: Record<Listener['role'], string> = { gateway: "a gateway's WireGuard", balancer: 'the load balancer' };

export interface UdpPortWant {
  /** The location that would listen, and the host its clients dial (for the suggested fix). */
  location: { id: number; name: string; endpointHost: string };
  port: number;
  /** The hosts it would listen on, with its role there. */
  hosts: { id: number; role: Listener['role'] }[];
  /** The input field the change came from. */
  field: string;
}

/** Refuses a change that would make `want.location` listen on a UDP port another location already uses on one of those hosts. */
export function requireFreeUdpPort(tx: Tx, want: UdpPortWant): void {
  if (want.hosts.length === 0) return;
  const ids = new Set(want.hosts.map((h) => h.id));
  const others = tx.all<Listener>(LISTENERS, want.location.id).filter((l) => ids.has(l.host_id));
  const clash = others.find((l) => l.port === want.port);
  const role = want.hosts.find((h) => h.id === clash?.host_id)?.role;
  if (!clash || !role) return;
  const used = new Set(others.map((l) => l.port));
  let free = want.port;
  do free = free >= 65535 ? 1024 : free + 1;
  while (used.has(free));
  throw BulwarkError.field(
    want.field,
    `location ${JSON.stringify(want.location.name)} would listen on UDP port ${want.port} on host ${clash.host} (${AS[role]}), where location ${JSON.stringify(clash.location)} already listens (${AS[clash.role]}); give one of them another port, such as "bulwark location set ${want.location.name} --endpoint ${formatEndpoint({ host: want.location.endpointHost, port: free })}", or use another host`,
    'in_use',
  );
}
