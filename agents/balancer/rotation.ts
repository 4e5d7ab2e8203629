// Which gateways of a location the load balancer sends clients to, from the health checks.
// Pure: checks in, decisions out; the agent does the I/O.
// - A gateway in rotation goes out after `fall` failed checks in a row; one out comes back
//   after `rise` passed checks in a row.
// - Manual failback: a gateway that passes again stays out (its former clients stay where they
//   moved, sparing them a second re-handshake) until Core releases it, unless no gateway in
//   rotation passes: then it comes back by itself.
// - Drained (a rolling apply): Core takes a gateway out while it is changed, whatever its
//   checks say; once Core ends the drain, the usual rules bring it back (or hold it, manual).
// - Fail open: the last gateway in rotation never goes out. With every gateway failing its
//   check (a broken health endpoint, a network split between balancer and gateways), sending
//   clients somewhere beats sending them nowhere; the view says so.
import type { HealthCheckPolicy, RotationEntry } from '../../src-main/contract/index.js';

interface GatewayState {
  inRotation: boolean;
  /** Out for a rolling apply until Core ends the drain. */
  drained: boolean;
  healthy: boolean | null;
  passes: number;
  failures: number;
  since: string;
  reason: string | null;
}

export interface CheckResult {
  host: string;
  ok: boolean;
  /** Why it failed; null when it passed. */
  reason: string | null;
}

const DRAINED = 'taken out while a rolling apply changes it';

export class Rotation {
  private readonly gateways = new Map<string, GatewayState>();

  /** `saved`: gateways that were out of rotation when the agent last ran; they must pass `rise` checks to return. */
  constructor(
    hosts: string[],
    private readonly policy: Pick<HealthCheckPolicy, 'fall' | 'rise'>,
    now: string,
    saved: ReadonlySet<string> = new Set(),
    private readonly failback: 'auto' | 'manual' = 'auto',
    /** What the admin runs to release a held gateway (for the reason shown). */
    private readonly releaseHint: (host: string) => string = (host) => `release ${host}`,
    /** Gateways drained when the agent last ran (a rolling apply that goes on). */
    drained: ReadonlySet<string> = new Set(),
  ) {
    for (const host of hosts) {
      const out = saved.has(host) && hosts.some((h) => !saved.has(h));
      const d = drained.has(host) && hosts.some((h) => !drained.has(h));
      this.gateways.set(host, { inRotation: !out && !d, drained: d, healthy: null, passes: 0, failures: 0, since: now, reason: d ? DRAINED : out ? 'out of rotation before the agent restarted' : null });
    }
  }

  /** Folds one round of checks in; returns the hosts whose rotation changed. */
  observe(results: CheckResult[], now: string): { host: string; inRotation: boolean; reason: string | null }[] {
    for (const r of results) {
      const g = this.gateways.get(r.host);
      if (!g) continue;
      g.healthy = r.ok;
      g.passes = r.ok ? g.passes + 1 : 0;
      g.failures = r.ok ? 0 : g.failures + 1;
      if (g.drained) continue;
      if (r.ok) g.reason = g.inRotation ? null : g.reason;
      else g.reason = r.reason;
    }
    const changes: { host: string; inRotation: boolean; reason: string | null }[] = [];
    const servedWell = [...this.gateways.values()].some((g) => g.inRotation && g.healthy !== false);
    for (const [host, g] of this.gateways) {
      if (g.drained) continue;
      if (!g.inRotation && g.passes >= this.policy.rise && this.failback === 'manual' && servedWell) {
        g.reason = `passes its checks again; stays out until released, since failback is manual: ${this.releaseHint(host)}`;
        continue;
      }
      if (!g.inRotation && g.passes >= this.policy.rise) {
        g.inRotation = true;
        g.since = now;
        g.reason = null;
        changes.push({ host, inRotation: true, reason: null });
      }
    }
    for (const [host, g] of this.gateways) {
      if (!g.inRotation || g.failures < this.policy.fall) continue;
      const others = [...this.gateways].filter(([h, o]) => h !== host && o.inRotation);
      if (others.length === 0) {
        g.reason = `${g.reason ?? 'its check fails'}; kept in rotation, since no other gateway is in it`;
        continue;
      }
      g.inRotation = false;
      g.since = now;
      changes.push({ host, inRotation: false, reason: g.reason });
    }
    return changes;
  }

  /**
   * A rolling apply: takes the gateway out of rotation until `undrain`, whatever its checks
   * say. Throws when it is the last one in rotation (its clients would have nowhere to go).
   * Returns whether anything changed.
   */
  drain(host: string, now: string): boolean {
    const g = this.gateways.get(host);
    if (!g) throw new Error(`${host} is not a gateway here`);
    if (g.drained) return false;
    if (g.inRotation && ![...this.gateways].some(([h, o]) => h !== host && o.inRotation)) {
      throw new Error(`${host} is the only gateway in rotation; draining it would leave the clients nowhere to go`);
    }
    const was = g.inRotation;
    g.drained = true;
    g.inRotation = false;
    g.reason = DRAINED;
    if (was) g.since = now;
    return was;
  }

  /** Ends a drain: the gateway returns after `rise` passed checks (held instead with manual failback). */
  undrain(host: string): void {
    const g = this.gateways.get(host);
    if (!g) throw new Error(`${host} is not a gateway here`);
    if (!g.drained) return;
    g.drained = false;
    g.passes = 0;
    g.reason = 'back from a rolling apply; returns once it passes its checks';
  }

  /** The drained hosts (saved across restarts, as out() is). */
  drainedHosts(): string[] {
    return [...this.gateways].filter(([, g]) => g.drained).map(([h]) => h);
  }

  /** Manual failback: puts a held gateway back now. Throws, saying why, when it is not one. */
  release(host: string, now: string): void {
    const g = this.gateways.get(host);
    if (!g) throw new Error(`${host} is not a gateway here`);
    if (g.inRotation) throw new Error(`${host} is in rotation already`);
    if (g.drained) throw new Error(`${host} is out for a rolling apply; it returns when the apply is done with it`);
    if (g.healthy !== true) throw new Error(`${host} fails its health check (${g.reason ?? 'not checked yet'}); it can return once it passes`);
    g.inRotation = true;
    g.since = now;
    g.reason = null;
  }

  isIn(host: string): boolean {
    return this.gateways.get(host)?.inRotation ?? false;
  }

  /** The hosts out of rotation (what the agent saves across restarts). */
  out(): string[] {
    return [...this.gateways].filter(([, g]) => !g.inRotation).map(([h]) => h);
  }

  view(): RotationEntry[] {
    return [...this.gateways].map(([host, g]) => ({ host, inRotation: g.inRotation, healthy: g.healthy, since: g.since, reason: g.reason }));
  }
}
