// The problem texts of a location's failover, from what the links see. Pure: the state in,
// sentences an admin can act on out, so each case is a unit test.
import type { BalancerView, RotationEntry } from '../contract/index.js';

/** One gateway as the status sees it: whether its link is up, and the floating IP (vrrp). */
export interface GatewaySight {
  host: string;
  linked: boolean;
  holdsVip: boolean;
}

export function vrrpProblems(vip: string, gateways: GatewaySight[]): string[] {
  const holders = gateways.filter((g) => g.linked && g.holdsVip).map((g) => g.host);
  const blind = gateways.filter((g) => !g.linked).map((g) => g.host);
  if (holders.length > 1) return [`split brain: the floating IP ${vip} is on ${holders.join(' and ')} at once; clients reach whichever answers ARP last. Check the link between them (VRRP adverts) and keepalived on each`];
  if (holders.length === 0 && blind.length === 0 && gateways.length > 0) return [`no gateway holds the floating IP ${vip}: clients cannot connect. Check keepalived on the gateways (bulwark-keepalived.service) and their health`];
  if (holders.length === 0 && blind.length > 0) return [`no linked gateway holds the floating IP ${vip}; Core cannot see ${blind.join(', ')}`];
  return [];
}

/** The load balancer as the status sees it: its link (and why it is not up) and its last view. */
export interface BalancerSight {
  host: string;
  linked: boolean;
  /** Why the link is not up; null when it is, or when Core has no link with it at all. */
  reason: string | null;
  view: BalancerView | null;
}

export function lbProblems(lb: BalancerSight, rotation: RotationEntry[] | null): string[] {
  const problems: string[] = [];
  if (!lb.linked) {
    problems.push(`Core has no link with the load balancer ${lb.host} (${lb.reason ?? 'not provisioned yet: run "bulwark provision apply"'}); it keeps balancing, but Core cannot see which gateways it uses`);
  } else if (lb.view && !lb.view.nginx.running) {
    problems.push(`nginx is not running on the load balancer ${lb.host}${lb.view.nginx.error ? `: ${lb.view.nginx.error}` : ''}; clients cannot connect. See "journalctl -u bulwark-balancer" there`);
  } else if (lb.view?.nginx.error) {
    problems.push(`the load balancer ${lb.host} could not put its latest rotation into nginx (${lb.view.nginx.error}); nginx still runs the one before. See "journalctl -u bulwark-balancer" there`);
  }
  const entries = rotation ?? [];
  for (const g of entries) {
    if (!g.inRotation) problems.push(`gateway ${g.host} is out of the load balancer's rotation since ${g.since}: ${g.reason ?? 'its health check fails'}; its clients moved to the other gateways (each re-handshakes, ~15 s)`);
    else if (g.healthy === false) problems.push(`gateway ${g.host} fails its health check (${g.reason ?? 'no reason given'}) but stays in rotation: ${entries.some((o) => o.host !== g.host && o.healthy) ? 'it has not failed often enough yet' : 'no gateway passes, so the load balancer keeps sending to all'}`);
  }
  return problems;
}
