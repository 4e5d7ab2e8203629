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
import { edgeProblems } from './problems.js';

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
    const edges = hosts.map((h) => {
      const link = this.hub.get(agentSubject('edge', h.name));
      const v = link?.view();
      const beat = link?.state === 'up' ? link.heartbeat?.edge : undefined;
      const seen = haproxy?.entries.find((e) => e.host === h.name) ?? null;
      return {
        host: h.name,
        link: v?.state ?? 'down',
        since: v?.since ?? '',
        reason: v?.reason ?? (link ? null : 'not installed yet'),
        ready: beat ? beat.ready : null,
        notReady: beat?.reason ?? null,
        served: beat?.served ?? null,
        failed: beat?.failed ?? null,
        balancer: seen ? { inRotation: seen.inRotation, status: seen.status, check: seen.check, sinceSeconds: seen.sinceSeconds } : null,
        installed: link !== undefined,
      };
    });
    const problems = edgeProblems({ edges, publicName: pub?.publicName ?? null, balancer: pub?.balancer ?? null, haproxy }).map((p) => p.text);
    return {
      public: pub,
      edges: edges.map(({ installed: _, ...e }) => e),
      balancer: pub?.balancer ? { host: pub.balancer, link: balancerLink?.view().state ?? null, error: haproxy?.error ?? null, entries: haproxy?.entries ?? [] } : null,
      lockouts: this.lockouts.active(),
      problems,
    };
  }
}
