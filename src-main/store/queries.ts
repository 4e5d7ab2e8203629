// Typed reads that cross areas: what roles a host has, which hosts Core should link with,
// which gateways a location has. Each row is checked with its schema, so a column renamed
// in a migration fails here, by name, instead of reaching a caller as undefined. Reads of
// one area's own tables stay in that area's service.
import { z } from 'zod';
import type { Tx } from './db.js';

const NameRow = z.object({ name: z.string() });
const HostAddressRow = z.object({ id: z.number().int(), name: z.string(), ssh_address: z.string() });

/** The roles of one host: the locations it is a gateway of, whether it is an edge, and the lb-mode locations it balances. */
export const HostRoles = z.object({
  /** Location names, sorted; empty when it is no gateway. */
  gateway: z.array(z.string()),
  edge: z.boolean(),
  /** Location names (failover mode lb with this host as its load balancer), sorted. */
  balancer: z.array(z.string()),
  /** It runs the HAProxy in front of the edges. */
  edgeBalancer: z.boolean(),
});
export type HostRoles = z.infer<typeof HostRoles>;

export function hostRoles(tx: Tx, hostId: number): HostRoles {
  const names = (sql: string) => tx.all(sql, hostId).map((r) => NameRow.parse(r).name);
  return {
    gateway: names('SELECT l.name FROM gateways g JOIN locations l ON l.id = g.location_id WHERE g.host_id = ? ORDER BY l.name'),
    edge: tx.get('SELECT 1 FROM edges WHERE host_id = ?', hostId) !== undefined,
    balancer: names("SELECT name FROM locations WHERE failover_mode = 'lb' AND failover_lb_host_id = ? ORDER BY name"),
    edgeBalancer: tx.get('SELECT 1 FROM edge_settings WHERE balancer_host_id = ?', hostId) !== undefined,
  };
}

/** True when the host has any role at all. */
export function hasRole(r: HostRoles): boolean {
  return r.gateway.length > 0 || r.edge || r.balancer.length > 0 || r.edgeBalancer;
}

/** Agent roles a host runs, in a fixed order: gateway, edge, balancer. */
export function agentRolesOf(r: HostRoles): ('gateway' | 'edge' | 'balancer')[] {
  return [...(r.gateway.length > 0 ? (['gateway'] as const) : []), ...(r.edge ? (['edge'] as const) : []), ...(r.balancer.length > 0 || r.edgeBalancer ? (['balancer'] as const) : [])];
}

/** Every host Bulwark installed on, with its roles, by name. */
export function provisionedHosts(tx: Tx): (z.infer<typeof HostAddressRow> & { roles: HostRoles })[] {
  return tx
    .all('SELECT id, name, ssh_address FROM hosts WHERE provisioned_at IS NOT NULL ORDER BY name')
    .map((r) => HostAddressRow.parse(r))
    .map((h) => ({ ...h, roles: hostRoles(tx, h.id) }));
}

/** One host's id, name and the address Core reaches it at; undefined when there is none of that name. */
export function hostAddress(tx: Tx, name: string): z.infer<typeof HostAddressRow> | undefined {
  const row = tx.get('SELECT id, name, ssh_address FROM hosts WHERE name = ?', name);
  return row === undefined ? undefined : HostAddressRow.parse(row);
}

/** The host names of a location's gateways, sorted. */
export function locationGateways(tx: Tx, locationId: number): string[] {
  return tx.all('SELECT h.name FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? ORDER BY h.name', locationId).map((r) => NameRow.parse(r).name);
}

/** The locations a host (by name) is a gateway of, sorted. */
export function gatewayLocations(tx: Tx, host: string): string[] {
  return tx
    .all('SELECT l.name FROM locations l JOIN gateways g ON g.location_id = l.id JOIN hosts h ON h.id = g.host_id WHERE h.name = ? ORDER BY l.name', host)
    .map((r) => NameRow.parse(r).name);
}

const PolicyRow = z.object({ mfa: z.number().int(), disconnect_threshold: z.number().int() });

/** A location's MFA policy as the gateways enforce it; undefined when there is no such location. */
export function locationPolicy(tx: Tx, name: string): { mfa: boolean; disconnectThreshold: number } | undefined {
  const row = tx.get('SELECT mfa, disconnect_threshold FROM locations WHERE name = ?', name);
  if (row === undefined) return undefined;
  const p = PolicyRow.parse(row);
  return { mfa: p.mfa === 1, disconnectThreshold: p.disconnect_threshold };
}

const RestartDetails = z.object({ restartMs: z.number().int().nullable().optional() });

/** How long the host's last restart took (ms, first unit restart to verified health), from its newest apply that restarted something. */
export function lastRestartMs(tx: Tx, host: string): number | undefined {
  const rows = tx.all("SELECT details FROM events WHERE kind = 'provision.host_finished' AND subject = ? ORDER BY id DESC LIMIT 20", `host:${host}`);
  for (const r of rows) {
    const d = RestartDetails.safeParse(JSON.parse(z.object({ details: z.string() }).parse(r).details));
    if (d.success && typeof d.data.restartMs === 'number') return d.data.restartMs;
  }
  return undefined;
}
