// Runs a rollout's waves: each wave's hosts commit together (bounded), and a wave starts once
// the one before it is done. Around a gateway's commit: lb gateways are drained first and put
// back after; every gateway of a failover location must be seen linked and settled in its role
// before the next wave. A failed host stops the rollout of each failover location it serves:
// the hosts after it keep their old version (their staging is removed) and are "skipped".
import type { HostApplyResult, Rollout, RolloutHost } from '../../contract/index.js';
import { commitStaged, discardStaging, type HostJob, type Prepared } from '../remote/host-run.js';
import { toFailure, type Report } from '../remote/remote-host.js';
import type { RolloutLive } from './live.js';

/** One host's part: how its preparation ended, and what its commit needs. */
export interface HostWork {
  host: string;
  prepared: Prepared;
  job: HostJob;
  report: Report;
  started: number;
  /** The failover locations (two gateways or more) this host is a gateway of. */
  rolling: { name: string; mode: 'vrrp' | 'lb' | 'edges' }[];
}

export interface RolloutDeps {
  live: RolloutLive;
  /** Runs one host's turn within the run's bound on parallel hosts. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** A wave starts or ends. */
  onWave: (index: number, hosts: string[], status: 'started' | 'finished') => void;
  /** A host's commit succeeded: Core records it as provisioned (and so links with it) before it waits to see it settle. */
  onApplied: (host: string) => void;
  /** A host's result, as soon as it is known; restartMs: from its commit to its verified health, when units restarted. */
  onHost: (r: HostApplyResult, restartMs: number | null) => void;
  /** Go on where the plan found no standby (allowOutage). */
  allowOutage: boolean;
}

/** How long Core waits to see a changed host linked and settled, and a balancer to confirm a drain. */
export const SETTLE_TIMEOUT_MS = 45_000;
export const DRAIN_TIMEOUT_MS = 30_000;

export interface RolloutOutcome {
  results: HostApplyResult[];
  stopped: { location: string; host: string; message: string; kept: string[] }[];
}

export async function runRollout(rollout: Rollout, work: Map<string, HostWork>, deps: RolloutDeps): Promise<RolloutOutcome> {
  const results: HostApplyResult[] = [];
  const stopped = new Map<string, RolloutOutcome['stopped'][number]>();
  const finish = (r: HostApplyResult, restartMs: number | null = null) => {
    results.push(r);
    deps.onHost(r, restartMs);
  };
  const stop = (w: HostWork, message: string) => {
    for (const l of w.rolling) if (!stopped.has(l.name)) stopped.set(l.name, { location: l.name, host: w.host, message, kept: [] });
  };

  // Hosts that failed before their turn, or have nothing to do, end now; in the rolling order a
  // failure stops its locations (all at once, every host goes on its own).
  for (const w of work.values()) {
    if (w.prepared.kind === 'up_to_date') finish({ host: w.host, outcome: 'up_to_date', changedFiles: 0, units: [], failure: null, rolledBack: false, durationMs: Date.now() - w.started });
    if (w.prepared.kind === 'failed') {
      finish({ host: w.host, ...w.prepared.result, durationMs: Date.now() - w.started });
      if (rollout.order === 'rolling') stop(w, `${w.host} failed at ${w.prepared.result.failure?.step ?? 'its preparation'}`);
    }
  }

  for (const wave of rollout.waves) {
    const hosts = wave.hosts.map((h) => h.host);
    deps.onWave(wave.index, hosts, 'started');
    await Promise.all(
      wave.hosts.map((turn) =>
        deps.limit(async () => {
          const w = work.get(turn.host);
          if (!w || w.prepared.kind !== 'staged') return;
          const halted = w.rolling.map((l) => stopped.get(l.name)).find((s) => s !== undefined);
          if (halted) {
            halted.kept.push(w.host);
            await discardStaging(w.prepared.remote, w.prepared.staging);
            finish({ host: w.host, outcome: 'skipped', changedFiles: 0, units: w.prepared.changes.units, failure: null, rolledBack: false, durationMs: Date.now() - w.started });
            return;
          }
          const r = await takeTurn(w, turn, deps);
          finish(r.result, r.restartMs);
          if (r.result.outcome === 'failed') stop(w, `${w.host} failed at ${r.result.failure?.step ?? 'its apply'}${r.result.rolledBack ? ' and was rolled back' : ''}`);
        }),
      ),
    );
    deps.onWave(wave.index, hosts, 'finished');
  }
  return { results, stopped: [...stopped.values()] };
}

/** One host's turn: drain, a last look for a standby, commit, settle, put back. */
async function takeTurn(w: HostWork, turn: RolloutHost, deps: RolloutDeps): Promise<{ result: HostApplyResult; restartMs: number | null }> {
  if (w.prepared.kind !== 'staged') throw new Error(`invariant failed: ${w.host} is staged before its turn`);
  const staged = w.prepared;
  const fail = async (step: 'drain' | 'handover', err: unknown) => {
    const failure = toFailure(step, err);
    failure.message = `${failure.message}\nNothing was changed on ${w.host}.`;
    w.report(step, 'failed', failure.message, failure);
    await discardStaging(staged.remote, staged.staging);
    return { result: { host: w.host, outcome: 'failed' as const, changedFiles: 0, units: staged.changes.units, failure, rolledBack: false, durationMs: Date.now() - w.started }, restartMs: null };
  };

  // The other gateways must be there when the turn comes, not only when the plan was made.
  if (!deps.allowOutage) {
    const turnLocations = [...turn.handovers.map((h) => ({ location: h.location, step: 'handover' as const, what: 'take its floating IP' })), ...turn.drains.map((d) => ({ location: d.location, step: 'drain' as const, what: "take its clients (in the load balancer's rotation)" }))];
    for (const t of turnLocations) {
      const seen = deps.live.gateways(t.location);
      const me = seen.find((g) => g.host === w.host);
      const others = seen.filter((g) => g.host !== w.host);
      if ((t.step === 'drain' || me?.holdsVip !== false) && !others.some((g) => g.ready)) {
        const why = others.map((g) => `${g.host}: ${g.why ?? 'not ready'}`).join('; ');
        return fail(t.step, new Error(`no other gateway of location ${t.location} is ready to ${t.what} (${why}); changing ${w.host} now would cut its clients off. Bring one back (or release it), then apply again to resume; or accept the outage with --allow-outage`));
      }
    }
  }
  const drained: string[] = [];
  for (const d of turn.drains) {
    w.report('drain', 'started', `taking ${w.host} out of ${d.balancer}'s rotation for location ${d.location}`);
    // Undone on every way out but a failed rollback, even when the balancer did not confirm.
    drained.push(d.location);
    try {
      w.report('drain', 'ok', await deps.live.drain(d.location, w.host, true, DRAIN_TIMEOUT_MS));
    } catch (err) {
      await undrain(w, drained, deps);
      return fail('drain', err);
    }
  }

  const t0 = Date.now();
  const r = await commitStaged(staged, w.job, w.report);
  const restartMs = r.outcome === 'applied' && staged.changes.units.some((u) => u.action === 'restart' || u.action === 'start') ? Date.now() - t0 : null;
  let result: HostApplyResult = { host: w.host, ...r, durationMs: Date.now() - w.started };
  if (r.outcome === 'applied') deps.onApplied(w.host);
  if (r.outcome === 'applied' && w.rolling.length > 0) {
    for (const l of w.rolling) {
      w.report('settle', 'started', `waiting for Core to see ${w.host} linked and settled in location ${l.name}`);
      try {
        w.report('settle', 'ok', await deps.live.settle(l.name, w.host, SETTLE_TIMEOUT_MS));
      } catch (err) {
        const failure = toFailure('settle', err);
        failure.message = `${failure.message}\n${w.host} was changed; the rollout of ${l.name} stops here, so its gateways not changed yet keep their old version.`;
        w.report('settle', 'failed', failure.message, failure);
        result = { ...result, outcome: 'failed', failure, durationMs: Date.now() - w.started };
        break;
      }
    }
  }
  // Back into rotation (the balancer still checks it first) on every outcome but a rollback
  // that did not complete: that host needs a person before it takes clients again.
  if (!r.rollbackFailed) await undrain(w, drained, deps);
  return { result, restartMs };
}

async function undrain(w: HostWork, locations: string[], deps: RolloutDeps): Promise<void> {
  for (const location of locations) {
    w.report('undrain', 'started', `putting ${w.host} back into rotation for location ${location}`);
    try {
      w.report('undrain', 'ok', await deps.live.drain(location, w.host, false, DRAIN_TIMEOUT_MS));
    } catch (err) {
      const failure = toFailure('undrain', err);
      w.report('undrain', 'failed', failure.message, failure);
    }
  }
}
