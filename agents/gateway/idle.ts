// When each peer was last active, for MFA locations: a peer is active when it handshakes or
// sends (its received bytes grow; WireGuard's keepalives count, so a connected client with a
// keepalive never goes idle, while a handshake alone happens only every two minutes). What the
// location's other gateways saw, relayed by Core, counts too: a standby must not expire a peer
// that is busy on the active gateway. Pure: times are arguments (unix seconds).
import type { PeerStats } from '../../src-main/contract/index.js';

export class IdleTracker {
  private readonly seen = new Map<string, { rxBytes: number; activeAt: number }>();
  private readonly hints = new Map<string, number>();

  /** Takes one reading of the interface's counters. */
  observe(peers: PeerStats[], nowS: number): void {
    for (const p of peers) {
      const had = this.seen.get(p.publicKey);
      const grew = had !== undefined && p.rxBytes > had.rxBytes;
      this.seen.set(p.publicKey, { rxBytes: p.rxBytes, activeAt: Math.max(p.latestHandshake, had?.activeAt ?? 0, grew ? nowS : 0) });
    }
  }

  /** Another gateway saw the peer active at this time. */
  hint(publicKey: string, lastActivity: number): void {
    if (lastActivity > (this.hints.get(publicKey) ?? 0)) this.hints.set(publicKey, lastActivity);
  }

  /** The newest sign of life: handshake, traffic, another gateway's report, or `since` (when it was applied). */
  lastActivity(publicKey: string, since: number): number {
    return Math.max(since, this.seen.get(publicKey)?.activeAt ?? 0, this.hints.get(publicKey) ?? 0);
  }

  /** The peers among `peers` idle for longer than `thresholdS`. */
  idle<T extends { publicKey: string; appliedAt: number }>(peers: Iterable<T>, thresholdS: number, nowS: number): T[] {
    const out: T[] = [];
    for (const p of peers) if (nowS - this.lastActivity(p.publicKey, p.appliedAt) > thresholdS) out.push(p);
    return out;
  }

  forget(publicKey: string): void {
    this.seen.delete(publicKey);
    this.hints.delete(publicKey);
  }
}
