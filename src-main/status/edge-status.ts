// The public side live, for `bulwark status` and the UI: each edge's link and readiness (from
// its heartbeats), the balancer's own view of the edges (HAProxy's stats, through the balancer
// agent's heartbeats), lockouts in force, and what is wrong with a sentence that says what to do.
// Derived from the links and the store, never stored.
import type { EdgeStatus } from '../contract/index.js';
import { agentSubject } from '../core/pki/pki-service.js';
import type { EdgePublicService } from '../core/edges/edge-public.js';
import type { LockoutService } from '../core/public/lockouts.js';
import type { LinkHub } from '../link/link-hub.js';
import type { Store } from '../store/db.js';

export class EdgeStatusModel {
  constructor(
    private readonly hub: LinkHub,
    private readonly store: Store,
    private readonly publicSide: EdgePublicService,
    private readonly lockouts: LockoutService,
  ) {}

  status(): EdgeStatus {
    const pub = this.publicSide.get();
    const hosts = this.store.read((tx) => tx.all<{ name: string; provisioned: number }>('SELECT h.name, h.provisioned_at IS NOT NULL AS provisioned FROM edges e JOIN hosts h ON h.id = e.host_id ORDER BY h.name'));
    const balancerLink = pub?.balancer ? this.hub.get(agentSubject('balancer', pub.balancer)) : undefined;
    const haproxy = balancerLink?.state === 'up' ? (balancerLink.heartbeat?.balancer?.edges ?? null) : null;
    const problems: string[] = [];
    const edges = hosts.map((h) => {
      const link = this.hub.get(agentSubject('edge', h.name));
      const v = link?.view();
      const beat = link?.state === 'up' ? link.heartbeat?.edge : undefined;
      const seen = haproxy?.entries.find((e) => e.host === h.name) ?? null;
      if (!link) problems.push(`edge ${h.name} is not installed yet: run "bulwark provision apply"`);
      else if (v!.state !== 'up') problems.push(`edge ${h.name} has no link to Core (${v!.reason ?? v!.state}): it answers "unavailable" until the link is back`);
      else if (beat && !beat.ready) problems.push(`edge ${h.name} is not ready: ${beat.reason ?? 'no reason given'}`);
      if (seen && !seen.inRotation && v?.state === 'up' && beat?.ready) problems.push(`the balancer keeps edge ${h.name} out of rotation (${seen.status}${seen.check ? `, ${seen.check}` : ''}) although Core sees it ready: check that ${pub?.balancer} reaches it on port 9443`);
      return {
        host: h.name,
        link: v?.state ?? 'down',
        since: v?.since ?? '',
        reason: v?.reason ?? (link ? null : 'not provisioned yet'),
        ready: beat ? beat.ready : null,
        notReady: beat?.reason ?? null,
        served: beat?.served ?? null,
        failed: beat?.failed ?? null,
        balancer: seen ? { inRotation: seen.inRotation, status: seen.status, check: seen.check, sinceSeconds: seen.sinceSeconds } : null,
      };
    });
    if (pub === null && hosts.length > 0) problems.push('the edges have no public name, so no invite can be made: run "bulwark edge balancer --host H --public-name NAME"');
    if (pub?.balancer && haproxy?.error) problems.push(`the balancer ${pub.balancer} cannot read HAProxy's state: ${haproxy.error}`);
    if (pub?.balancer && haproxy && hosts.length > 0 && !haproxy.entries.some((e) => e.inRotation)) problems.push(`no edge is in the balancer's rotation: every public request gets "unavailable"`);
    if (hosts.length === 1) problems.push('only one edge: the public side stops when it does; add another with "bulwark edge add --host H"');
    return {
      public: pub,
      edges,
      balancer: pub?.balancer ? { host: pub.balancer, link: balancerLink?.view().state ?? null, error: haproxy?.error ?? null, entries: haproxy?.entries ?? [] } : null,
      lockouts: this.lockouts.active(),
      problems,
    };
  }
}
