// The peers Core sends a location: a full set replaces what is applied, a change adds and
// removes; either way WireGuard changes only where it must, and the state on disk follows.
// Also what Core relays from the location's other gateways: when and where a peer was active.
import type { AgentMessage, CoreActivity, CorePeers, GatewayLocationConfig, WgPeer } from '../../src-main/contract/index.js';
import { noteEndpoint, nowS, trackerOf, type GatewayContext } from './context.js';
import type { PeerEntry } from './state.js';
import { patchPeers, syncPeers } from './wireguard.js';

const sameIps = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * A peer as it is recorded: a peer applied before with the same session and addresses keeps
 * when it was first applied (an MFA peer's idle clock starts there); anything else starts now.
 */
export function peerEntry(had: PeerEntry | undefined, p: WgPeer, now: number): PeerEntry {
  const same = had !== undefined && had.session === p.session && sameIps(had.allowedIps, p.allowedIps);
  return { ...p, appliedAt: same ? had.appliedAt : now };
}

export class Peers {
  constructor(private readonly ctx: Pick<GatewayContext, 'locations' | 'state' | 'serial' | 'trackers' | 'endpoints'>) {}

  /** Applies Core's peers for a location; the answer tells Core the revision now in place. */
  apply(loc: GatewayLocationConfig, msg: CorePeers): Promise<AgentMessage> {
    const { state, endpoints } = this.ctx;
    return this.ctx.serial.run(async () => {
      const t0 = performance.now();
      const ls = state.location(loc.name);
      // A session this gateway ended stays ended until Core has acknowledged it (a full set
      // sent before Core heard of it may still list it); only a new session brings the peer back.
      const allowed = (p: WgPeer) => p.session === undefined || !ls.expired.has(p.session);
      const now = nowS();
      const entry = (p: WgPeer): PeerEntry => peerEntry(ls.peers.get(p.publicKey), p, now);
      const upsert = msg.upsert.filter(allowed);
      if (msg.full) {
        await syncPeers(loc.interface, upsert);
        state.replace(loc.name, { revision: msg.revision, policy: msg.policy ?? ls.policy, peers: new Map(upsert.map((p) => [p.publicKey, entry(p)])), expired: ls.expired });
      } else {
        await patchPeers(loc.interface, upsert, msg.remove);
        state.record([
          ...msg.remove.map((key) => ({ op: 'del' as const, loc: loc.name, key })),
          ...upsert.map((p) => ({ op: 'set' as const, loc: loc.name, peer: entry(p) })),
          { op: 'meta', loc: loc.name, revision: msg.revision, policy: ls.policy },
        ]);
      }
      for (const key of msg.remove) {
        this.ctx.trackers.get(loc.name)?.forget(key);
        endpoints.forget(loc.name, key);
      }
      return { type: 'applied', location: loc.name, revision: msg.revision, peers: state.location(loc.name).peers.size, tookMs: Math.round((performance.now() - t0) * 100) / 100 } satisfies AgentMessage;
    });
  }

  /** What the location's other gateways saw: MFA peers active there are not idle here, and a new master knows where they are. */
  noteActivity(loc: GatewayLocationConfig, peers: CoreActivity['peers']): void {
    const tracker = trackerOf(this.ctx, loc.name);
    for (const p of peers) {
      tracker.hint(p.publicKey, p.lastActivity);
      noteEndpoint(this.ctx, loc.name, p.publicKey, p.endpoint, p.lastActivity);
    }
  }
}
