// The gateway's role in each vrrp location, as keepalived tells it over its notify FIFO, and
// what follows from it: a new master starts fresh handshakes to its clients from the floating
// IP; a backup drops its clients' sessions. After each health check it writes the file
// keepalived tracks and removes a floating IP that a dead (or demoted) keepalived left here.
// A change of role or of the address is told to Core at once (changed), not at the next
// heartbeat or health check: otherwise Core would show, for a second or two after every
// takeover, two holders (a split brain) or none.
import { writeFileSync } from 'node:fs';
import type { AgentMessage, GatewayLocationConfig } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import { hasVrrp, type GatewayContext, type VrrpLocation } from './context.js';
import { holdsVip, keepalivedAlive, parseNotifyLine, readNotifyFifo, removeVip, sourceFromVip, trackValue, type VrrpRole } from './vrrp.js';
import { takeoverId, takeoverReport, watchHandshakes, type TakeoverReports } from './takeover.js';
import { handshakeTimes, kickHandshakes, refreshPeers } from './wireguard.js';

export type VrrpView = NonNullable<Extract<AgentMessage, { type: 'heartbeat' }>['vrrp']>;

/** What this gateway knows of one vrrp location. */
interface RoleState {
  /** The role keepalived last told; null before it told (this agent restarted) or after a stray floating IP went. */
  role: VrrpRole | null;
  /** Whether the floating IP was on this host at the last check. */
  holdsVip: boolean;
  /** What the track file holds (null: not written by this run yet). */
  track: string | null;
  /** Checks in a row that found the floating IP here while keepalived said it is not master. */
  strayChecks: number;
  /** A drill: keepalived is told this location is unhealthy until then (ms since epoch), so the standby takes over. */
  drillUntil: number;
  /** The last health check's verdict on the location's WireGuard. */
  healthy: boolean;
}

/**
 * Checks in a row that found the floating IP on this host while keepalived said it is not
 * master. A role never told (this agent restarted) counts as nothing.
 */
export function strayChecksAfter(role: VrrpRole | null, holdsVip: boolean, strayChecks: number): number {
  const notMaster = role === 'BACKUP' || role === 'FAULT' || role === 'STOP';
  return holdsVip && notMaster ? strayChecks + 1 : 0;
}

/**
 * A keepalived killed outright leaves the floating IP on this host while another gateway takes
 * it: two holders. Without a live keepalived here, or with one that said it is not master twice
 * in a row (keepalived adds the address a moment before it tells us), the address must go.
 */
export function mustDropVip(holdsVip: boolean, strayChecks: number, keepalivedLives: () => boolean): boolean {
  return holdsVip && (!keepalivedLives() || strayChecks >= 2);
}

/**
 * The role of a location keepalived has not told this agent about (the agent restarted while
 * keepalived ran on): a running keepalived with the floating IP here is master, without it
 * backup. Nothing is inferred without a running keepalived, and a told role is never replaced.
 */
export function inferredRole(role: VrrpRole | null, holdsVip: boolean, keepalivedLives: () => boolean): VrrpRole | null {
  if (role !== null || !keepalivedLives()) return null;
  return holdsVip ? 'MASTER' : 'BACKUP';
}

/** What a role change asks of the gateway: take over on becoming master, stand down on any other new role. */
export function roleAction(was: VrrpRole | null, role: VrrpRole): 'takeover' | 'standDown' | null {
  if (role === 'MASTER') return was !== 'MASTER' ? 'takeover' : null;
  return was !== role ? 'standDown' : null;
}

export class VrrpRoles {
  private readonly roles: Map<string, RoleState>;
  private readonly byInstance: Map<string, VrrpLocation>;

  constructor(
    private readonly ctx: Pick<GatewayContext, 'locations' | 'state' | 'serial' | 'endpoints'>,
    private readonly reports: TakeoverReports,
    /** Told when what view() returns changed, so the agent can send a heartbeat now. */
    private readonly changed: () => void = () => undefined,
  ) {
    const vrrp = [...ctx.locations.values()].filter(hasVrrp);
    this.roles = new Map(vrrp.map((l) => [l.name, { role: null, holdsVip: false, track: null, strayChecks: 0, drillUntil: 0, healthy: true }]));
    this.byInstance = new Map(vrrp.map((l) => [l.vrrp.instance, l]));
  }

  /** For every heartbeat: each vrrp location's role and whether this host holds its floating IP. */
  view(): VrrpView {
    return [...this.roles].map(([location, v]) => ({ location, role: v.role, holdsVip: v.holdsVip }));
  }

  /** After a location's health check: keepalived's track file, then a floating IP that must not be here. */
  async afterCheck(loc: GatewayLocationConfig, problem: string | null): Promise<void> {
    const v = this.roles.get(loc.name);
    if (!hasVrrp(loc) || !v) return;
    // keepalived tracks this file: a gateway whose WireGuard is down gives up (or never takes) the floating IP.
    v.healthy = !problem;
    this.writeTrack(loc, v, v.healthy && Date.now() >= v.drillUntil);
    const before = `${v.role}/${v.holdsVip}`;
    v.holdsVip = await holdsVip(loc.vrrp.interface, loc.vrrp.vip);
    const inferred = inferredRole(v.role, v.holdsVip, () => keepalivedAlive());
    if (inferred) {
      v.role = inferred;
      log('VRRP role (from the floating IP, keepalived told this agent nothing yet)', { location: loc.name, role: inferred });
    }
    v.strayChecks = strayChecksAfter(v.role, v.holdsVip, v.strayChecks);
    if (mustDropVip(v.holdsVip, v.strayChecks, () => keepalivedAlive())) {
      try {
        await removeVip(loc.vrrp.interface, loc.vrrp.vip);
        v.holdsVip = false;
        v.role = null;
        log('removed the floating IP that a dead keepalived left on this host', { location: loc.name, vip: loc.vrrp.vip });
      } catch (err) {
        log('cannot remove a floating IP left by a dead keepalived', { location: loc.name, error: (err as Error).message });
      }
    }
    if (`${v.role}/${v.holdsVip}` !== before) this.changed();
  }

  private writeTrack(loc: VrrpLocation, v: RoleState, healthy: boolean): void {
    const track = trackValue(healthy);
    if (track === v.track) return;
    try {
      writeFileSync(loc.vrrp.trackFile, track);
      v.track = track;
    } catch (err) {
      log('cannot write the health file keepalived tracks', { location: loc.name, file: loc.vrrp.trackFile, error: (err as Error).message });
    }
  }

  /**
   * A drill (Core's word): give the floating IP up on purpose by telling keepalived this
   * location is unhealthy for holdMs (it goes FAULT and the standby takes over), then healthy
   * again (it comes back as BACKUP: nopreempt). Refused unless this gateway holds the address.
   */
  drill(location: string, holdMs: number): void {
    const loc = this.ctx.locations.get(location);
    const v = this.roles.get(location);
    if (!loc || !hasVrrp(loc) || !v) throw new Error(`location ${location} has no floating IP on this gateway`);
    if (!v.holdsVip) throw new Error(`this gateway does not hold the floating IP of ${location}; the drill starts on the master`);
    v.drillUntil = Date.now() + holdMs;
    log('drill: giving up the floating IP on purpose', { location, holdMs });
    this.writeTrack(loc, v, false);
    setTimeout(() => {
      if (Date.now() >= v.drillUntil) this.writeTrack(loc, v, v.healthy);
    }, holdMs).unref();
  }

  /**
   * A host that was frozen (SIGSTOP, a VM paused) and still holds a floating IP kept its old
   * sessions while the clients moved to another gateway: it starts fresh handshakes again, so a
   * thawed master does not strand its clients.
   */
  afterPause(pausedMs: number): void {
    for (const loc of this.ctx.locations.values()) {
      if (hasVrrp(loc) && this.roles.get(loc.name)?.holdsVip) {
        log('this host was paused and holds the floating IP: starting fresh handshakes', { location: loc.name, pausedMs });
        void this.takeover(loc, null);
      }
    }
  }

  /** Reads keepalived's notify FIFO (when this gateway has vrrp locations); returns the stop. */
  async listen(fifo: string | null): Promise<() => void> {
    if (!fifo || this.byInstance.size === 0) return () => undefined;
    try {
      return await readNotifyFifo(fifo, (line) => this.told(line));
    } catch (err) {
      log("cannot read keepalived's notify FIFO; the floating IP moves, but this gateway will not start handshakes when it takes it", { fifo, error: (err as Error).message });
      return () => undefined;
    }
  }

  private told(line: string): void {
    const n = parseNotifyLine(line);
    const loc = n ? this.byInstance.get(n.instance) : undefined;
    const v = loc ? this.roles.get(loc.name) : undefined;
    if (!n || !loc || !v) return;
    const was = v.role;
    v.role = n.role;
    log('VRRP role', { location: loc.name, role: n.role, was });
    const action = roleAction(was, n.role);
    if (action === 'takeover') void this.takeover(loc, performance.now());
    else if (action === 'standDown') void this.standDown(loc, n.role);
    void this.settleHold(loc, v);
  }

  /**
   * After keepalived told a role: whether the address is here now, told to Core at once.
   * keepalived adds (or removes) the address around the time it tells, so this looks again for
   * up to half a second until the address agrees with the role. Outside the serial queue: the
   * view must not wait behind a peers change.
   */
  private async settleHold(loc: VrrpLocation, v: RoleState): Promise<void> {
    const role = v.role;
    for (let i = 0; i < 50; i++) {
      v.holdsVip = await holdsVip(loc.vrrp.interface, loc.vrrp.vip);
      if (v.role !== role || v.holdsVip === (role === 'MASTER')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    this.changed();
  }

  /**
   * This gateway just became VRRP master of a location: its clients' sessions live on the old
   * master, so it starts fresh handshakes to every peer with a known endpoint itself, from the
   * floating IP, instead of waiting ~15 s for the clients to give up and re-handshake. After a
   * takeover keepalived told (toldAt, a performance.now() time), it then measures how long each
   * client took to come back and reports it (a thawed master's re-handshake is not a failover).
   */
  private takeover(loc: VrrpLocation, toldAt: number | null): Promise<void> {
    const { state, endpoints } = this.ctx;
    return this.ctx.serial.run(async () => {
      const vrrp = loc.vrrp;
      const t0 = performance.now();
      // keepalived adds the address around the time it tells us; give it a moment if needed.
      for (let i = 0; i < 50 && !(await holdsVip(vrrp.interface, vrrp.vip)); i++) await new Promise((r) => setTimeout(r, 10));
      const tookAt = Date.now();
      const addressAfterMs = toldAt === null ? 0 : performance.now() - toldAt;
      try {
        await sourceFromVip(loc.listenPort, vrrp.interface, vrrp.vip);
      } catch (err) {
        log('cannot route WireGuard from the floating IP; handshakes leave from the host address', { location: loc.name, error: (err as Error).message });
      }
      const seen = endpoints.of(loc.name);
      const known = [...state.location(loc.name).peers.values()].flatMap((p) => {
        const e = seen.get(p.publicKey);
        return e ? [{ publicKey: p.publicKey, allowedIps: p.allowedIps, endpoint: e.endpoint }] : [];
      });
      try {
        await refreshPeers(loc.interface, known);
        await kickHandshakes(known.map((p) => p.allowedIps[0]!.slice(0, p.allowedIps[0]!.indexOf('/'))));
        log('became master of the floating IP: started handshakes', { location: loc.name, vip: vrrp.vip, peers: known.length, of: state.location(loc.name).peers.size, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        log('could not start the handshakes after taking the floating IP', { location: loc.name, error: (err as Error).message });
      }
      if (toldAt !== null) void this.measure(loc, known.map((p) => p.publicKey), tookAt, addressAfterMs, state.location(loc.name).peers.size - known.length);
    });
  }

  /** Outside the queue (it only reads): each client's return, then the report to Core. */
  private async measure(loc: VrrpLocation, keys: string[], tookAt: number, addressAfterMs: number, unreachable: number): Promise<void> {
    const back = await watchHandshakes(keys, tookAt, { read: () => handshakeTimes(loc.interface) });
    const report = takeoverReport(loc.name, tookAt, addressAfterMs, back, unreachable, takeoverId());
    log('takeover measured', { location: loc.name, clients: report.clients, back: report.backMs.length, slowestMs: Math.round(report.backMs.at(-1) ?? 0), missing: report.missing.length });
    this.reports.add(report);
  }

  /**
   * This gateway is not (or no longer) master: it drops its clients' sessions and endpoints. A
   * backup that kept them would, once its link is back, retry handshakes from its own address,
   * and a client that answers roams to it, bypassing the floating IP (seen in bench/failover).
   */
  private standDown(loc: GatewayLocationConfig, why: string): Promise<void> {
    const { state } = this.ctx;
    return this.ctx.serial.run(async () => {
      const peers = [...state.location(loc.name).peers.values()].map((p) => ({ publicKey: p.publicKey, allowedIps: p.allowedIps, endpoint: null }));
      try {
        await refreshPeers(loc.interface, peers);
        log("not master of the floating IP: dropped the clients' sessions here", { location: loc.name, why, peers: peers.length });
      } catch (err) {
        log('could not drop the sessions of a backup gateway', { location: loc.name, error: (err as Error).message });
      }
    });
  }
}
