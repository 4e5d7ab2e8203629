// One reading of every location's per-peer counters each statsMs. It feeds the MFA idle sweep
// (Core or no Core) and where the clients were seen and, while Core is linked, the per-peer
// report: what changed since the last one; all of it on a new link, with how long Core was away
// (counters are totals, so the first report covers the gap).
import type { GatewayLocationConfig, PeerStats } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import type { ControlLink } from '../shared/control.js';
import { noteEndpoint, nowS, policyOf, trackerOf, type GatewayContext } from './context.js';
import type { MfaExpiry } from './mfa-expiry.js';
import { peerStats } from './wireguard.js';

/** Which peers' counters changed since they were last reported; a full report has them all. */
export class StatsChanges {
  private readonly lastSent = new Map<string, string>();

  since(location: string, peers: readonly PeerStats[], full: boolean): PeerStats[] {
    return peers.filter((p) => {
      const sig = `${p.endpoint}|${p.latestHandshake}|${p.rxBytes}|${p.txBytes}`;
      const key = `${location}/${p.publicKey}`;
      if (!full && this.lastSent.get(key) === sig) return false;
      this.lastSent.set(key, sig);
      return true;
    });
  }
}

/** Core's rate until its welcome says otherwise. */
const DEFAULT_STATS_MS = 2000;

export class Reporter {
  /** How long the last reading of each location's counters took, in ms (WireGuard holds peer changes meanwhile). */
  readonly statsReadMs = new Map<string, number>();
  private readonly changes = new StatsChanges();
  private lastReportAt: string | null = null;
  private missed = 0;
  private statsMs = DEFAULT_STATS_MS;
  private observing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Pick<GatewayContext, 'locations' | 'state' | 'trackers' | 'endpoints' | 'core'>,
    private readonly mfa: MfaExpiry,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.observe(false), this.statsMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A link to Core came (at Core's rate) or went (null). */
  onLink(link: ControlLink | null): void {
    this.ctx.core.current = link;
    if (!link) return;
    if (link.statsMs !== this.statsMs) {
      this.statsMs = link.statsMs;
      this.stop();
      this.start();
    }
    this.mfa.sendUnacknowledged();
    void this.observe(true);
  }

  private async observe(full: boolean): Promise<void> {
    if (this.observing && !full) return;
    this.observing = true;
    try {
      const link = this.ctx.core.current;
      const summary = link && full && this.lastReportAt !== null ? { since: this.lastReportAt, missedReports: this.missed } : null;
      for (const loc of this.ctx.locations.values()) await this.observeLocation(loc, link, full, summary);
      if (link) {
        this.lastReportAt = new Date().toISOString();
        this.missed = 0;
      } else this.missed += 1;
    } finally {
      this.observing = false;
    }
  }

  private async observeLocation(loc: GatewayLocationConfig, link: ControlLink | null, full: boolean, summary: { since: string; missedReports: number } | null): Promise<void> {
    const policy = policyOf(this.ctx.state, loc);
    if (!link && !policy.mfa && !loc.vrrp) return;
    let peers: PeerStats[];
    try {
      const t0 = performance.now();
      peers = await peerStats(loc.interface);
      this.statsReadMs.set(loc.name, Math.round((performance.now() - t0) * 10) / 10);
    } catch {
      return; // the health check reports a missing interface
    }
    for (const p of peers) noteEndpoint(this.ctx, loc.name, p.publicKey, p.endpoint, p.latestHandshake);
    if (policy.mfa) {
      const tracker = trackerOf(this.ctx, loc.name);
      tracker.observe(peers, nowS());
      // A failed removal (the interface went away under it) is retried at the next reading;
      // it must not reject this loop's promise, which would stop the agent.
      await this.mfa.expireIdle(loc, tracker, policy.disconnectThreshold).catch((err: unknown) => log('could not remove idle MFA peers; retrying at the next reading', { location: loc.name, error: String(err) }));
    }
    if (!link) return;
    const changed = this.changes.since(loc.name, peers, full);
    if (full || changed.length > 0) link.send({ type: 'stats', location: loc.name, at: new Date().toISOString(), full, peers: changed, summary });
  }
}
