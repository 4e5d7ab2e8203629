// MFA locations: a peer idle past the location's threshold is removed here, by the gateway itself,
// Core or no Core. Its session is remembered (and never re-applied) until Core acknowledges it,
// and Core hears of it now, or first thing on the next link.
import type { AgentExpired, GatewayLocationConfig } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import { nowS, type GatewayContext } from './context.js';
import type { IdleTracker } from './idle.js';
import type { StateOp } from './state.js';
import { patchPeers } from './wireguard.js';

export class MfaExpiry {
  constructor(private readonly ctx: Pick<GatewayContext, 'state' | 'serial' | 'core'>) {}

  /** Removes the peers idle past the threshold, remembers their sessions, and tells Core. */
  expireIdle(loc: GatewayLocationConfig, tracker: IdleTracker, thresholdS: number): Promise<void> {
    const { state, core } = this.ctx;
    return this.ctx.serial.run(async () => {
      const now = nowS();
      const idle = tracker.idle([...state.location(loc.name).peers.values()].filter((p) => p.session !== undefined), thresholdS, now);
      if (idle.length === 0) return;
      await patchPeers(loc.interface, [], idle.map((p) => p.publicKey));
      const at = new Date().toISOString();
      const entries = idle.map((p) => ({ session: p.session!, publicKey: p.publicKey, lastActivity: tracker.lastActivity(p.publicKey, 0), at }));
      state.record([...idle.map((p) => ({ op: 'del' as const, loc: loc.name, key: p.publicKey })), ...entries.map((entry): StateOp => ({ op: 'expire', loc: loc.name, entry }))]);
      for (const p of idle) tracker.forget(p.publicKey);
      log('removed idle MFA peers', { location: loc.name, thresholdS, peers: entries.map((e) => ({ publicKey: e.publicKey, session: e.session, idleS: now - e.lastActivity })), coreLinked: core.current !== null });
      this.send(loc.name, entries);
    });
  }

  /** Core has heard of these expired sessions: they may come back with a new session now. */
  acknowledged(loc: GatewayLocationConfig, sessions: number[]): Promise<void> {
    return this.ctx.serial.run(async () => this.ctx.state.record([{ op: 'ack', loc: loc.name, sessions }]));
  }

  /** On a new link: what expired while Core was away (or was not acknowledged) goes first. */
  sendUnacknowledged(): void {
    for (const [name, ls] of this.ctx.state.locations) this.send(name, [...ls.expired.values()]);
  }

  private send(location: string, sessions: AgentExpired['sessions']): void {
    if (sessions.length > 0) this.ctx.core.send({ type: 'expired', location, sessions });
  }
}
