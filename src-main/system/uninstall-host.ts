// `hosts.uninstall`: take Bulwark off a host, then take the host out of the roles it played
// itself (gateway of its locations, edge), so that the next plan does not put it all back.
// A balancer role belongs to a location's failover or the edges' public address: it stays,
// and the answer says what to change instead.
import type { ProcOutput } from '../contract/index.js';
import type { EdgeService } from '../core/edges/edge-service.js';
import type { GatewayService } from '../core/gateways/gateway-service.js';
import type { HostService } from '../core/hosts/host-service.js';
import type { ProvisionService } from '../provision/provision-service.js';

export interface UninstallParts {
  provision: ProvisionService;
  hosts: HostService;
  gateways: GatewayService;
  edges: EdgeService;
}

/** Why a balancer role stays after an uninstall, and how to end it. */
export function keptRoleMessage(role: string): string {
  if (role === 'edge-balancer') return "it is the edges' balancer: set another one (or none) on the Edges panel, then apply";
  return `it is the load balancer of location ${role.slice('balancer:'.length)}: change that location's failover, then apply`;
}

export async function uninstallHost(s: UninstallParts, name: string): Promise<ProcOutput<'hosts.uninstall'>> {
  const removed = await s.provision.uninstall(name);
  const roles = s.hosts.get(name).roles;
  const dropped: string[] = [];
  for (const role of roles) {
    if (role.startsWith('gateway:')) s.gateways.remove(role.slice('gateway:'.length), name);
    else if (role === 'edge') s.edges.remove(name);
    else continue;
    dropped.push(role);
  }
  const kept = roles.filter((r) => !dropped.includes(r)).map((role) => ({ role, message: keptRoleMessage(role) }));
  return { ...removed, rolesRemoved: dropped, rolesKept: kept };
}
