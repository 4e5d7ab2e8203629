// "Connected" means every linked gateway of the location has the peer (defguard#1668 told the
// client before, so its first packets went nowhere). Peer sync sends a session's peer with a
// revision; a gateway answers `applied` with the newest revision it has. This waits until each
// gateway linked now has confirmed at least the revision current after the session started,
// or the deadline passes, and says per gateway what happened.
import type { EdgeCallOutput } from '../contract/index.js';
import type { Store } from '../store/db.js';
import { locationGateways } from '../store/queries.js';
import type { LinkHub } from '../link/link-hub.js';
import type { PeerSync } from '../link/peer-sync.js';

type Confirmation = EdgeCallOutput<'connect'>['gateways'][number];

export class GatewayConfirmations {
  constructor(
    private readonly hub: LinkHub,
    private readonly peers: PeerSync,
    private readonly store: Store,
  ) {}

  /** Call right after the session's commit (peer sync has sent its change by then). */
  async wait(location: string, deadlineMs: number): Promise<{ gateways: Confirmation[]; tookMs: number }> {
    const started = Date.now();
    const revision = this.peers.lastRevision();
    const all = this.store.read((tx) => {
      const loc = tx.get<{ id: number }>('SELECT id FROM locations WHERE name = ?', location);
      return loc ? locationGateways(tx, loc.id) : [];
    });
    const linked = new Map(this.peers.linkedGateways(location).map((l) => [l.target.host, l]));
    const confirmed = (host: string) => (linked.get(host)?.applied.get(location)?.revision ?? -1) >= revision;
    const pending = () => [...linked.keys()].filter((h) => !confirmed(h));
    if (pending().length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, deadlineMs - Date.now()));
        const off = this.hub.onMessage('applied', (link, msg) => {
          if (msg.location === location && linked.has(link.target.host) && pending().length === 0) done();
        });
        function done() {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    }
    const waited = Date.now() - started;
    const gateways = all.map((host): Confirmation => {
      const link = linked.get(host);
      if (!link) return { host, confirmed: false, reason: 'not linked to the control server right now; it gets your device when its link is back' };
      if (confirmed(host)) return { host, confirmed: true, reason: null };
      const why = link.state === 'up' ? `did not confirm within ${(waited / 1000).toFixed(1)} s` : 'lost its link to the control server while connecting';
      return { host, confirmed: false, reason: why };
    });
    return { gateways, tookMs: waited };
  }
}
