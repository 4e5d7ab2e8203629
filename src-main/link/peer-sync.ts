// Peer sync: each gateway's WireGuard peers follow the database. A gateway whose link comes
// up gets the full peer set and policy of each of its locations; committed changes (devices
// added, removed, disabled or enabled, MFA sessions started or ended) become peer changes on
// every linked gateway of their location, in the order they were made. A disabled device is
// never a peer: not in a full set, not after a new key, not with a session.
import { z } from 'zod';
import type { CorePeers, KnownEvent, WgPeer } from '../contract/index.js';
import type { Store } from '../store/db.js';
import { gatewayLocations, locationPolicy } from '../store/queries.js';
import type { SessionService } from '../core/sessions/session-service.js';
import type { Link } from './link.js';
import type { LinkHub } from './link-hub.js';

const PeerRow = z.object({ public_key: z.string(), address: z.string() });

export class PeerSync {
  private revision = Date.now();

  constructor(
    private readonly hub: LinkHub,
    private readonly store: Store,
    private readonly sessions: SessionService,
  ) {
    hub.onMessage('hello', (link) => this.linkUp(link));
  }

  /** The newest revision sent (what a gateway must confirm to be current). */
  lastRevision(): number {
    return this.revision;
  }

  /** A revision newer than any sent before, also across restarts of Core (it starts at the clock). */
  nextRevision(): number {
    this.revision = Math.max(this.revision + 1, Date.now());
    return this.revision;
  }

  /** The locations a gateway host serves. */
  locationsOf(host: string): string[] {
    return this.store.read((tx) => gatewayLocations(tx, host));
  }

  policyOf(location: string): { mfa: boolean; disconnectThreshold: number } | undefined {
    return this.store.read((tx) => locationPolicy(tx, location));
  }

  /** The gateways of a location whose link is up now. */
  linkedGateways(location: string): Link[] {
    return this.hub.all().filter((l) => l.target.role === 'gateway' && l.state === 'up' && this.locationsOf(l.target.host).includes(location));
  }

  /**
   * Committed changes as peer changes. A location whose MFA setting or threshold changed gets
   * its full set again instead.
   */
  committed(events: KnownEvent[]): void {
    const resync = new Set<string>();
    const byLocation = new Map<string, Map<string, WgPeer | null>>();
    const mfaOf = new Map<string, boolean>();
    const isMfa = (location: string) => {
      if (!mfaOf.has(location)) mfaOf.set(location, this.policyOf(location)?.mfa ?? false);
      return mfaOf.get(location)!;
    };
    for (const e of events) {
      if (e.kind === 'location.updated') {
        if (e.details.mfa !== undefined || e.details.disconnectThreshold !== undefined) resync.add(e.subject.replace(/^location:/, ''));
        continue;
      }
      if (e.kind !== 'device.added' && e.kind !== 'device.removed' && e.kind !== 'device.rekeyed' && e.kind !== 'device.disabled' && e.kind !== 'device.enabled' && e.kind !== 'session.started' && e.kind !== 'session.ended') continue;
      const d = e.details;
      const change = byLocation.get(d.location) ?? new Map<string, WgPeer | null>();
      byLocation.set(d.location, change);
      // A device's address is stored with its host prefix (/32 or /128): its one allowed IP.
      // A device is added enabled; an MFA location admits it only with a session.
      if ((e.kind === 'device.added' || e.kind === 'device.enabled') && !isMfa(d.location)) change.set(d.publicKey, { publicKey: d.publicKey, allowedIps: [d.address] });
      else if (e.kind === 'session.started') change.set(d.publicKey, { publicKey: d.publicKey, allowedIps: [d.address], session: e.details.session });
      else if (e.kind === 'device.removed' || e.kind === 'device.disabled' || e.kind === 'session.ended') change.set(d.publicKey, null);
      else if (e.kind === 'device.rekeyed') {
        // The old key goes; the new one comes in at once unless the device is disabled or the
        // location waits for an MFA session.
        change.set(e.details.previousKey, null);
        if (!isMfa(d.location) && e.details.enabled !== false) change.set(d.publicKey, { publicKey: d.publicKey, allowedIps: [d.address] });
      }
    }
    for (const location of resync) {
      byLocation.delete(location);
      for (const link of this.linkedGateways(location)) {
        const full = this.fullSet(location);
        if (full) link.send(full);
      }
    }
    for (const [location, change] of byLocation) {
      if (change.size === 0) continue;
      const upsert = [...change.values()].filter((p): p is WgPeer => p !== null);
      const remove = [...change].filter(([, p]) => p === null).map(([k]) => k);
      const revision = this.nextRevision();
      for (const link of this.linkedGateways(location)) link.send({ type: 'peers', location, revision, full: false, upsert, remove });
    }
  }

  private linkUp(link: Link): void {
    if (link.target.role !== 'gateway') return;
    for (const location of this.locationsOf(link.target.host)) {
      const full = this.fullSet(location);
      if (full) link.send(full);
    }
  }

  /**
   * The location's WireGuard peers: every enabled device (its one address, stored as /32 or
   * /128); in an MFA location only devices with an active session (never a disabled one), each
   * with its session's id.
   */
  private peersOf(location: string, mfa: boolean): WgPeer[] {
    if (mfa) return [...this.sessions.active(location).values()].map((s) => ({ publicKey: s.publicKey, allowedIps: [s.address], session: s.id }));
    return this.store.read((tx) =>
      tx
        .all('SELECT d.public_key, d.address FROM devices d JOIN locations l ON l.id = d.location_id WHERE l.name = ? AND d.enabled = 1 ORDER BY d.id', location)
        .map((r) => PeerRow.parse(r))
        .map((d) => ({ publicKey: d.public_key, allowedIps: [d.address] })),
    );
  }

  private fullSet(location: string): CorePeers | null {
    const policy = this.policyOf(location);
    if (!policy) return null;
    return { type: 'peers', location, revision: this.nextRevision(), full: true, upsert: this.peersOf(location, policy.mfa), remove: [], policy };
  }
}
