// Provisioning: plan and apply Core's model onto hosts over SSH, in the rollout's order (every
// host prepared first, then waves; rollout/), each host's steps in order; uninstall. Every step
// is an event ("provision.step"). Which hosts and what each needs: scope.ts.
import type { EdgePublicService } from '../core/edges/edge-public.js';
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { BulwarkError, type HostPlan, type NewEvent, type ProcOutput, type ProcParsedInput, type ProvisionHostFinishedDetails, type ProvisionStepDetails } from '../contract/index.js';
import { loadArtifacts, type LoadedArtifacts } from './artifacts.js';
import { desiredHost, type HostModel } from './plan/desired-state.js';
import type { DesiredHost } from '../host-state/desired.js';
import type { HostNeeds } from '../host-state/preflight.js';
import { isUpToDate } from '../host-state/changes.js';
import { discardStaging, planHost, prepareHost, type HostJob } from './remote/host-run.js';
import { readFacts, RemoteHost, StepFailed, toFailure, type Report } from './remote/remote-host.js';
import { planRollout, type RolloutLocation } from './rollout/rollout-plan.js';
import { runRollout, type HostWork } from './rollout/rollout-run.js';
import type { RolloutLive } from './rollout/live.js';
import type { Store } from '../store/db.js';
import { lastRestartMs } from '../store/queries.js';
import { requireHost, sshTargetOf, type HostRow } from '../core/hosts/host-service.js';
import type { CorePorts, SshConnection } from '../core/ports.js';
import type { AgentRole, PkiService } from '../core/pki/pki-service.js';
import type { LocationService } from '../core/locations/location-service.js';
import { removeBulwark } from './uninstall.js';
import { recentRuns } from './run-history.js';
import { handoverOf, hostsInScope, interrupts, needsOf, rolls, type ScopedHost } from './scope.js';

/** The vrrp locations of a host that have another gateway to take their floating IP. */
function rollingVrrp(h: ScopedHost): Set<string> {
  return new Set(h.locations.filter((l) => rolls(l) && l.mode === 'vrrp').map((l) => l.name));
}

export class ProvisionService {
  /** Runs under way in this process (a run that has no finished event and is not here was interrupted). */
  private readonly running = new Set<string>();
  /** Hosts with an apply or uninstall in progress: one at a time per host. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly agentsDir: string | undefined,
    private readonly pki: PkiService,
    private readonly locations: LocationService,
    private readonly live: RolloutLive,
    private readonly edgePublic: EdgePublicService,
  ) {}

  /** The public certificate, its chain and its key in one PEM, as HAProxy reads them. */
  private publicPem(): string | null {
    const tls = this.store.read((tx) => this.edgePublic.tls(tx));
    return tls ? `${tls.certPem.trim()}\n${tls.keyPem.trim()}\n` : null;
  }

  /**
   * The host's model with its TLS material. A plan uses what exists (a missing or expiring
   * certificate shows as "issued at apply"); an apply issues what is missing first.
   */
  private async withTls(h: ScopedHost, issue: boolean): Promise<HostModel> {
    const roles: AgentRole[] = [...(h.model.gatewayLocations.length > 0 ? ['gateway' as const] : []), ...(h.model.edge ? ['edge' as const] : []), ...(h.model.balancer ? ['balancer' as const] : [])];
    const agents: HostModel['tls']['agents'] = {};
    for (const role of roles) {
      const cert = issue ? await this.pki.agentCert(role, { id: h.row.id, name: h.row.name, address: h.row.ssh_address }) : this.pki.agentCertIfCurrent(role, h.row.name);
      agents[role] = cert ? { certPem: cert.certPem, keyPem: cert.keyPem } : null;
    }
    const locationKeys = Object.fromEntries(h.model.gatewayLocations.map((l) => [l.name, this.locations.privateKey(l.name)]));
    const edgeBalancer = h.model.edgeBalancer ? { ...h.model.edgeBalancer, publicPem: this.publicPem() } : null;
    return { ...h.model, edgeBalancer, tls: { caPem: await this.pki.caPem(), agents }, locationKeys };
  }

  /**
   * A host's desired state with every file resolved (certificates issued now, as an apply
   * would), for an offline bundle; what its preflight needs; the artifacts. Connects nowhere.
   */
  async resolve(name: string): Promise<{ row: HostRow; desired: DesiredHost; needs: HostNeeds; artifacts: LoadedArtifacts }> {
    const [h] = this.store.read((tx) => hostsInScope(tx, { host: name }));
    if (!h) throw new Error('invariant failed: a host scope has its host');
    const artifacts = await loadArtifacts(this.agentsDir);
    return { row: h.row, desired: desiredHost(await this.withTls(h, true), artifacts), needs: needsOf(h, artifacts), artifacts };
  }

  /** Connects with the pinned key; a host never checked is refused before connecting. */
  private async connect(row: HostRow): Promise<SshConnection> {
    if (row.host_key_fingerprint === null) {
      throw new StepFailed({
        step: 'connect',
        message: `host ${row.name} has no pinned SSH host key: check the host (Hosts → Check, or "bulwark host check ${row.name}"), compare the fingerprint with its console, then accept it`,
        command: null,
        exitCode: null,
        output: [],
      });
    }
    return this.ports.connectSsh(sshTargetOf(row), row.host_key_fingerprint);
  }

  async plan(scope: ProcParsedInput<'provision.plan'>): Promise<ProcOutput<'provision.plan'>> {
    const hosts = this.store.read((tx) => hostsInScope(tx, scope));
    const artifacts = await loadArtifacts(this.agentsDir);
    const limit = pLimit(8);
    const plans = await Promise.all(
      hosts.map((h) =>
        limit(async (): Promise<HostPlan> => {
          const desired = desiredHost(await this.withTls(h, false), artifacts);
          let ssh: SshConnection | null = null;
          try {
            ssh = await this.connect(h.row);
            const c = await planHost(ssh, desired, scope.restart);
            return { host: h.row.name, roles: desired.roles, status: isUpToDate(c) ? 'up_to_date' : 'changes', files: c.files, units: c.units, error: null };
          } catch (err) {
            return { host: h.row.name, roles: desired.roles, status: 'error', files: [], units: [], error: toFailure(ssh ? 'inspect' : 'connect', err) };
          } finally {
            ssh?.close();
          }
        }),
      ),
    );
    const changing = plans.filter((p) => p.status === 'changes');
    return { hosts: plans, rollout: this.rollout(hosts, changing, 'rolling') };
  }

  /** The order an apply changes `changing` in, from what Core sees live now. */
  private rollout(hosts: ScopedHost[], changing: { host: string; units: HostPlan['units'] }[], order: ProcParsedInput<'provision.apply'>['order']) {
    const byName = new Map<string, RolloutLocation>();
    for (const h of hosts) {
      for (const l of h.locations) {
        if (byName.has(l.name)) continue;
        const seen = new Map(this.live.gateways(l.name).map((g) => [g.host, g]));
        byName.set(l.name, { name: l.name, mode: l.mode, balancer: l.balancer, gateways: l.gateways.map((g) => seen.get(g) ?? { host: g, ready: false, why: 'not linked', holdsVip: null }) });
      }
    }
    const names = changing.map((c) => c.host);
    const lastRestart = new Map(this.store.read((tx) => names.flatMap((h) => ((ms) => (ms === undefined ? [] : [[h, ms] as const]))(lastRestartMs(tx, h)))));
    const quiet = new Set(changing.filter((c) => !interrupts(c.units)).map((c) => c.host));
    const canHandOver = new Set(hosts.filter((h) => handoverOf(h.model, rollingVrrp(h)) !== null).map((h) => h.row.name));
    return planRollout({ order, changing: names, quiet, canHandOver, locations: [...byName.values()], lastRestartMs: lastRestart });
  }

  /** Takes every host of a run at once (or none); the returned function frees one host, or all. */
  private claim(names: string[]): (name?: string) => void {
    const taken = names.filter((n) => this.busy.has(n));
    if (taken.length > 0) {
      throw new BulwarkError('in_use', `${taken.join(', ')} ${taken.length > 1 ? 'are' : 'is'} being provisioned right now; wait for that run to finish`);
    }
    const mine = new Set(names);
    names.forEach((n) => this.busy.add(n));
    return (name) => {
      for (const n of name === undefined ? [...mine] : [name]) {
        if (mine.delete(n)) this.busy.delete(n);
      }
    };
  }

  /**
   * Appends a progress event. Progress is not worth failing a host's apply for: an event that
   * cannot be stored (disk full, database busy) is dropped, and the apply's result still says
   * how every host ended.
   */
  private record(e: Extract<NewEvent, { kind: 'provision.step' | 'provision.host_finished' | 'provision.wave' }>): void {
    try {
      this.store.write((tx) => tx.event(e));
    } catch {
      // dropped on purpose; see above
    }
  }

  async apply(input: ProcParsedInput<'provision.apply'>): Promise<ProcOutput<'provision.apply'>> {
    const hosts = this.store.read((tx) => hostsInScope(tx, input));
    const artifacts = await loadArtifacts(this.agentsDir);
    const runId = input.runId ?? randomUUID();
    const release = this.claim(hosts.map((h) => h.row.name));
    const started = Date.now();
    const connections: SshConnection[] = [];
    try {
      this.store.write((tx) => tx.event({ kind: 'provision.started', subject: `run:${runId}`, details: { run: runId, hosts: hosts.map((h) => h.row.name) } }));
      this.running.add(runId);
      const limit = pLimit(input.parallel);
      // Every host is prepared first, in parallel: preflight, inspect and upload change
      // nothing, and the rollout's order needs to know which hosts change.
      const work = new Map<string, HostWork>();
      await Promise.all(hosts.map((h) => limit(async () => work.set(h.row.name, await this.prepareOne(h, artifacts, runId, input, connections)))));
      // (prepareOne never throws: a host that cannot be prepared is a failed one.)
      const staged = [...work.values()].flatMap((w) => (w.prepared.kind === 'staged' ? [{ host: w.host, units: w.prepared.changes.units }] : []));
      const rollout = this.rollout(hosts, staged, input.order);
      if (rollout.outages.length > 0 && !input.allowOutage) {
        await Promise.all([...work.values()].map(async (w) => (w.prepared.kind === 'staged' ? discardStaging(w.prepared.remote, w.prepared.staging) : undefined)));
        // The run ends here, so whoever follows it (the UI, events --follow) sees it end.
        this.store.write((tx) => tx.event({ kind: 'provision.finished', subject: `run:${runId}`, details: { run: runId, ok: false, outcomes: Object.fromEntries(hosts.map((h) => [h.row.name, 'skipped' as const])) } }));
        throw BulwarkError.field(
          'allowOutage',
          `this apply would cut clients off:\n${rollout.outages.map((o) => `  ${o.message}`).join('\n')}\nNothing was changed. Bring the other gateways back first (see "bulwark status"), or apply again allowing the outage (--allow-outage; in the UI, "allow an outage")`,
        );
      }
      const { results, stopped } = await runRollout(rollout, work, {
        live: this.live,
        limit,
        allowOutage: input.allowOutage,
        onWave: (index, names, status) => this.record({ kind: 'provision.wave', subject: `run:${runId}`, details: { run: runId, index, of: rollout.waves.length, hosts: names, status } }),
        onApplied: (host) => {
          // A host left with no files of Bulwark's is no longer "provisioned". (Not worth
          // failing the run for: the next apply records it.)
          const w = work.get(host);
          const at = w && w.job.desired.files.length > 0 ? this.ports.now().toISOString() : null;
          const id = hosts.find((h) => h.row.name === host)?.row.id;
          try {
            this.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = ? WHERE id = ?', at, id ?? -1));
          } catch {
            // see above
          }
        },
        onHost: (r, restartMs) => {
          release(r.host);
          const details: ProvisionHostFinishedDetails = { run: runId, host: r.host, outcome: r.outcome, rolledBack: r.rolledBack, durationMs: r.durationMs, restartMs, failure: r.failure };
          this.record({ kind: 'provision.host_finished', subject: `host:${r.host}`, details });
        },
      });
      results.sort((x, y) => (x.host < y.host ? -1 : 1));
      const ok = results.every((r) => r.outcome === 'applied' || r.outcome === 'up_to_date');
      this.store.write((tx) =>
        tx.event({
          kind: 'provision.finished',
          subject: `run:${runId}`,
          details: { run: runId, ok, outcomes: Object.fromEntries(results.map((r) => [r.host, r.outcome])) },
        }),
      );
      return { runId, ok, hosts: results, rollout, stopped, durationMs: Date.now() - started };
    } finally {
      this.running.delete(runId);
      connections.forEach((c) => c.close());
      release();
    }
  }

  /** Connects, then preflight, inspect and upload; nothing Bulwark installs changes yet. */
  private async prepareOne(h: ScopedHost, artifacts: LoadedArtifacts, runId: string, input: ProcParsedInput<'provision.apply'>, connections: SshConnection[]): Promise<HostWork> {
    const started = Date.now();
    const host = h.row.name;
    const report: Report = (step, status, message, failure) => {
      const details: ProvisionStepDetails = { run: runId, host, step, status, ...(message ? { message } : {}), ...(failure ? { failure } : {}) };
      this.record({ kind: 'provision.step', subject: `host:${host}`, details });
    };
    const rolling = h.locations.filter(rolls).map((l) => ({ name: l.name, mode: l.mode }));
    const failed = (step: 'connect' | 'preflight', err: unknown): HostWork => {
      const failure = toFailure(step, err);
      report(step, 'failed', failure.message, failure);
      return { host, job, report, started, rolling, prepared: { kind: 'failed', result: { outcome: 'failed', changedFiles: 0, units: [], failure, rolledBack: false } } };
    };
    const job: HostJob = {
      desired: { host, roles: [], files: [], units: [] },
      needs: needsOf(h, artifacts),
      installPackages: input.installPackages,
      hostApply: artifacts.hostApply,
      runId,
      now: this.ports.now,
      restartAll: input.restart,
      handover: input.order === 'rolling' ? handoverOf(h.model, rollingVrrp(h)) : null,
    };
    try {
      // Certificates are issued here; a failure is this host's, not the run's.
      job.desired = desiredHost(await this.withTls(h, true), artifacts);
    } catch (err) {
      return failed('preflight', err);
    }
    report('connect', 'started', `${h.row.ssh_user}@${h.row.ssh_address}:${h.row.ssh_port}`);
    let ssh: SshConnection;
    try {
      ssh = await this.connect(h.row);
    } catch (err) {
      return failed('connect', err);
    }
    connections.push(ssh);
    report('connect', 'ok', `host key ${ssh.fingerprint}`);
    return { host, job, report, started, rolling, prepared: await prepareHost(ssh, job, report) };
  }

  /** The newest runs and how each ended. */
  runs(q: ProcParsedInput<'provision.runs'>): ProcOutput<'provision.runs'> {
    return this.store.read((tx) => recentRuns(tx, q, this.running));
  }

  /** Stops and removes everything Bulwark put on the host; says what it removed. */
  async uninstall(name: string): Promise<{ host: string; units: string[]; removed: string[] }> {
    const row = this.store.read((tx) => requireHost(tx, name, 'name'));
    const release = this.claim([row.name]);
    let ssh: SshConnection | null = null;
    try {
      try {
        ssh = await this.connect(row);
      } catch (err) {
        throw err instanceof StepFailed ? new BulwarkError('invalid_input', err.message, { field: 'name' }) : err;
      }
      const facts = await readFacts(ssh);
      if (facts.privileges === 'none') {
        throw new BulwarkError('invalid_input', `host ${row.name}: ${row.ssh_user} is not root and has no passwordless sudo, so Bulwark cannot remove its files`, { field: 'name' });
      }
      const remote = new RemoteHost(ssh, facts.privileges);
      const result = { host: row.name, ...(await removeBulwark(remote, row.name)) };
      this.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = NULL WHERE id = ?', row.id));
      this.store.write((tx) => tx.event({ kind: 'host.uninstalled', subject: `host:${row.name}`, details: { units: result.units, removed: result.removed.length } }));
      return result;
    } catch (err) {
      if (err instanceof StepFailed) throw new BulwarkError('unavailable', `host ${row.name}: ${err.failure.message}\n${err.failure.output.join('\n')}`);
      throw err;
    } finally {
      ssh?.close();
      release();
    }
  }
}
