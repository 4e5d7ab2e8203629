// The MFA session relay between a location's gateways: what one gateway saw of a peer (its
// idle clock, its endpoint) goes to the others as `activity`, and sessions a gateway expired
// for idleness are ended (unless another gateway saw the peer within the threshold: then the
// reporter gets the peer back) and acknowledged.
import type { AgentExpired, CoreActivity, KnownEvent, PeerStats } from '../contract/index.js';
import type { CorePorts } from '../core/ports.js';
import type { SessionService } from '../core/sessions/session-service.js';
import type { Link } from './link.js';
import type { LinkHub } from './link-hub.js';
import type { PeerSync } from './peer-sync.js';

interface Seen {
  /** Unix seconds: its newest handshake, or Core's clock when its received bytes grew. */
  lastActivity: number;
  endpoint: string | null;
  rxBytes: number;
}

export class SessionRelay {
  /** location → device public key → gateway → when it last saw the peer active, and from where. */
  private readonly activity = new Map<string, Map<string, Map<string, Seen>>>();

  constructor(
    private readonly hub: LinkHub,
    private readonly peers: PeerSync,
    private readonly sessions: SessionService,
    private readonly ports: CorePorts,
  ) {
    hub.onMessage('stats', (link, m) => this.stats(link, m.location, m.peers));
    hub.onMessage('expired', (link, m) => this.expired(link, m));
  }

  /** A removed device's activity goes with it. */
  committed(events: KnownEvent[]): void {
    for (const e of events) {
      if (e.kind === 'device.removed') this.activity.get(e.details.location)?.delete(e.details.publicKey);
      if (e.kind === 'device.rekeyed') this.activity.get(e.details.location)?.delete(e.details.previousKey);
    }
  }

  private stats(link: Link, location: string, peers: PeerStats[]): void {
    const moved = this.noteActivity(link.target.host, location, peers);
    if (moved.length === 0) return;
    const relay: CoreActivity = { type: 'activity', location, peers: moved };
    for (const other of this.peers.linkedGateways(location)) if (other !== link) other.send(relay);
  }

  /** Folds a gateway's report into the activity table; returns the peers whose activity moved. */
  private noteActivity(gateway: string, location: string, peers: PeerStats[]): CoreActivity['peers'] {
    const byKey = this.activity.get(location) ?? new Map<string, Map<string, Seen>>();
    this.activity.set(location, byKey);
    const nowS = Math.floor(this.ports.now().getTime() / 1000);
    const moved: CoreActivity['peers'] = [];
    for (const p of peers) {
      const perGateway = byKey.get(p.publicKey) ?? new Map<string, Seen>();
      byKey.set(p.publicKey, perGateway);
      const had = perGateway.get(gateway);
      const grew = had !== undefined && p.rxBytes > had.rxBytes;
      const lastActivity = Math.max(p.latestHandshake, had?.lastActivity ?? 0, grew ? nowS : 0);
      perGateway.set(gateway, { lastActivity, endpoint: p.endpoint, rxBytes: p.rxBytes });
      if (lastActivity > (had?.lastActivity ?? 0) || p.endpoint !== (had?.endpoint ?? null)) {
        if (lastActivity > 0 || p.endpoint !== null) moved.push({ publicKey: p.publicKey, endpoint: p.endpoint, lastActivity });
      }
    }
    return moved;
  }

  /** True when a gateway other than `except` saw the peer active within the last `withinS` seconds. */
  private activeElsewhere(location: string, publicKey: string, except: string, withinS: number): boolean {
    const nowS = Math.floor(this.ports.now().getTime() / 1000);
    for (const [gateway, a] of this.activity.get(location)?.get(publicKey) ?? []) {
      if (gateway !== except && nowS - a.lastActivity <= withinS) return true;
    }
    return false;
  }

  private expired(link: Link, msg: AgentExpired): void {
    if (!this.peers.locationsOf(link.target.host).includes(msg.location)) {
      this.hub.problem(link, `the agent reported expired sessions of location ${msg.location}, which it does not serve; ignored`, 'core');
      return;
    }
    const threshold = this.peers.policyOf(msg.location)?.disconnectThreshold ?? 0;
    let kept: number[] = [];
    try {
      kept = this.sessions.expire(link.target.host, msg.location, msg.sessions, (key) => this.activeElsewhere(msg.location, key, link.target.host, threshold)).kept;
    } catch (err) {
      this.hub.problem(link, `Core could not take note of expired sessions: ${err instanceof Error ? err.message : String(err)}`, 'core');
      return;
    }
    link.send({ type: 'expiredAck', location: msg.location, sessions: msg.sessions.map((s) => s.session) });
    if (kept.length > 0) {
      // Another gateway carries these peers: this one gets them back (after the ack, so it accepts them).
      const active = this.sessions.active(msg.location);
      const upsert = [...active.values()].filter((s) => kept.includes(s.id)).map((s) => ({ publicKey: s.publicKey, allowedIps: [s.address], session: s.id }));
      if (upsert.length) link.send({ type: 'peers', location: msg.location, revision: this.peers.nextRevision(), full: false, upsert, remove: [] });
    }
  }
}
