// Provisioning: plan and apply Core's model onto hosts over SSH, a bounded number of hosts at
// a time, each host's steps in order; uninstall. Every step is an event ("provision.step").
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import {
  BulwarkError,
  DEFAULT_LB_CHECK,
  type HostPlan,
  type ProcOutput,
  type ProcParsedInput,
  type ProvisionHostFinishedDetails,
  type ProvisionStepDetails,
} from '../contract/index.js';
import { loadArtifacts, type LoadedArtifacts } from './artifacts.js';
import { unitName } from '../config-gen/systemd/agent-unit.js';
import { KEEPALIVED_UNIT } from '../config-gen/systemd/keepalived-unit.js';
import { desiredHost, type HostModel } from './plan/desired-state.js';
import { instanceName, type KeepalivedModel } from '../config-gen/keepalived/keepalived-conf.js';
import { CONTROL_PORT, DATAPLANE_HEALTH_PORT, HEALTH_PORT, KEEPALIVED_FIFO, trackFilePath, interfaceName, locationKeyPath } from '../contract/host-layout.js';
import { isUpToDate } from './plan/host-plan.js';
import type { HostNeeds } from './remote/preflight.js';
import { discardStaging, planHost, prepareHost, RemoteHost, readFacts, StepFailed, toFailure, type HostJob, type Report } from './remote/host-run.js';
import { planRollout, type RolloutLocation } from './rollout/rollout-plan.js';
import { runRollout, type HostWork } from './rollout/rollout-run.js';
import type { RolloutLive } from './rollout/live.js';
import type { NewEvent } from '../contract/index.js';
import type { Store, Tx } from '../store/db.js';
import { hasRole, hostRoles, lastRestartMs, locationGateways } from '../store/queries.js';
import { requireHost, sshTargetOf, type HostRow } from '../core/hosts/host-service.js';
import { gatewayAddressOf, requireLocation, type LocationRow } from '../core/locations/location-service.js';
import type { CorePorts, SshConnection } from '../core/ports.js';
import type { AgentRole, PkiService } from '../core/pki/pki-service.js';
import type { LocationService } from '../core/locations/location-service.js';
import { balancedBy, balancerListenAddress, lanAddressOf } from '../failover/balancer-model.js';
import { wildcardAddressFor } from '../net/endpoint.js';
import { removeBulwark } from './uninstall.js';

interface ScopedHost {
  row: HostRow;
  model: Omit<HostModel, 'tls' | 'locationKeys'>;
  udpPorts: HostNeeds['udpPorts'];
  /** The locations it is a gateway of: failover mode, every gateway, the load balancer. */
  locations: { name: string; mode: LocationRow['failover_mode']; gateways: string[]; balancer: string | null }[];
}

/** A location whose clients can move to another gateway while one changes (the rollout's unit). */
const rolls = (l: ScopedHost['locations'][number]): l is ScopedHost['locations'][number] & { mode: 'vrrp' | 'lb' } => l.mode !== 'none' && l.gateways.length >= 2;

/** Whether an apply starts the gateway agent for the first time: the host serves no client yet. */
function firstStart(units: { unit: string; action: string }[]): boolean {
  return units.some((u) => u.unit === unitName('gateway') && u.action === 'start');
}

/**
 * The floating IPs a gateway hands over before its units restart in a rolling apply: those of
 * its vrrp locations with another gateway to take them (a lone gateway keeps its address while
 * only its agent restarts); null without any.
 */
function handoverOf(model: ScopedHost['model'], rolling: ReadonlySet<string>): HostJob['handover'] {
  const vips = model.gatewayLocations.flatMap((l) => (l.vrrp && rolling.has(l.name) ? [{ location: l.name, interface: l.vrrp.interface, address: l.vrrp.vip.slice(0, l.vrrp.vip.indexOf('/')) }] : []));
  return vips.length > 0 ? { unit: KEEPALIVED_UNIT, vips } : null;
}

export class ProvisionService {
  /** Hosts with an apply or uninstall in progress: one at a time per host. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly agentsDir: string | undefined,
    private readonly pki: PkiService,
    private readonly locations: LocationService,
    private readonly live: RolloutLive,
  ) {}

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
    return { ...h.model, tls: { caPem: await this.pki.caPem(), agents }, locationKeys };
  }

  private hostsInScope(scope: { location?: string; host?: string }): ScopedHost[] {
    return this.store.read((tx) => {
      let rows: HostRow[];
      if (scope.host !== undefined) rows = [requireHost(tx, scope.host, 'host')];
      else if (scope.location !== undefined) {
        const loc = requireLocation(tx, scope.location, 'location');
        // The location's gateways, and its load balancer (whose config lists the gateways).
        rows = tx.all<HostRow>(
          `SELECT h.* FROM hosts h WHERE h.id IN (SELECT g.host_id FROM gateways g WHERE g.location_id = ?)
             OR (h.id = ? AND ? = 'lb') ORDER BY h.name`,
          loc.id,
          loc.failover_lb_host_id ?? -1,
          loc.failover_mode,
        );
        if (rows.length === 0) {
          throw BulwarkError.field('location', `location ${JSON.stringify(loc.name)} has no gateways; add one with "bulwark gateway add --location ${loc.name} --host HOST"`, 'not_found');
        }
      } else {
        // Hosts with a role, and hosts Bulwark installed on: one that lost its last role still
        // runs agents until an apply removes them.
        rows = tx.all<HostRow>('SELECT * FROM hosts ORDER BY name').filter((h) => h.provisioned_at !== null || hasRole(hostRoles(tx, h.id)));
        if (rows.length === 0) throw new BulwarkError('not_found', 'no host has a role yet; make one a gateway ("bulwark gateway add") or an edge ("bulwark edge add") first');
      }
      return rows.map((row) => this.modelOf(tx, row));
    });
  }

  /** A gateway's part in its vrrp locations: where the floating IP goes on it, and its keepalived. */
  private vrrpOf(tx: Tx, row: HostRow, locations: LocationRow[]) {
    const vrrp = new Map<string, { vip: string; interface: string; instance: string; trackFile: string }>();
    const instances: KeepalivedModel['instances'] = [];
    for (const l of locations) {
      if (l.failover_mode !== 'vrrp' || !l.failover_vip || l.failover_router_id === null || l.failover_advert_cs === null) continue;
      const iface = l.failover_interface ?? row.lan_interface;
      if (!iface) {
        throw BulwarkError.field('host', `Bulwark has not seen host ${row.name}'s network yet, and location ${l.name}'s floating IP goes on its LAN interface; run "bulwark host check ${row.name}" first`);
      }
      const others = tx.all<{ lan_address: string | null; ssh_address: string }>(
        'SELECT h.lan_address, h.ssh_address FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? AND h.id != ? ORDER BY h.name',
        l.id,
        row.id,
      );
      vrrp.set(l.name, { vip: l.failover_vip, interface: iface, instance: instanceName(l.name), trackFile: trackFilePath(l.name) });
      instances.push({
        location: l.name,
        interface: iface,
        routerId: l.failover_router_id,
        advertInterval: l.failover_advert_cs / 100,
        vip: l.failover_vip,
        unicast: l.failover_unicast === 1 ? { source: lanAddressOf(row), peers: others.map(lanAddressOf) } : null,
        trackFile: trackFilePath(l.name),
      });
    }
    return { vrrp, keepalived: instances.length > 0 ? { host: row.name, notifyFifo: KEEPALIVED_FIFO, instances } : null };
  }

  private modelOf(tx: Tx, row: HostRow): ScopedHost {
    const locations = tx.all<LocationRow>('SELECT l.* FROM locations l JOIN gateways g ON g.location_id = l.id WHERE g.host_id = ? ORDER BY l.name', row.id);
    const edge = hostRoles(tx, row.id).edge;
    const { vrrp, keepalived } = this.vrrpOf(tx, row, locations);
    const lbLocations = locations.filter((l) => l.failover_mode === 'lb').map((l) => l.name);
    const balanced = balancedBy(tx, row.id);
    const balancer: HostModel['balancer'] = balanced.length === 0 ? null : { listenAddress: balancerListenAddress(row), check: { ...DEFAULT_LB_CHECK }, locations: balanced };
    return {
      row,
      model: {
        name: row.name,
        edge,
        controlAddress: wildcardAddressFor(row.ssh_address),
        gatewayLocations: locations.map((l) => ({
          name: l.name,
          interface: interfaceName(l.name),
          privateKeyFile: locationKeyPath(l.name),
          network: l.network,
          gatewayAddress: gatewayAddressOf(l),
          listenPort: l.endpoint_port,
          publicKey: l.wg_public_key,
          mfa: l.mfa === 1,
          disconnectThreshold: l.disconnect_threshold,
          vrrp: vrrp.get(l.name) ?? null,
        })),
        keepalived,
        lanHealth: lbLocations.length > 0 ? { address: lanAddressOf(row), port: DATAPLANE_HEALTH_PORT, locations: lbLocations } : null,
        balancer,
      },
      locations: locations.map((l) => ({
        name: l.name,
        mode: l.failover_mode,
        gateways: locationGateways(tx, l.id),
        balancer: l.failover_mode === 'lb' ? (tx.all<{ name: string }>('SELECT name FROM hosts WHERE id = ?', l.failover_lb_host_id ?? -1)[0]?.name ?? null) : null,
      })),
      udpPorts: [
        ...locations.map((l) => ({ port: l.endpoint_port, unit: unitName('gateway'), what: `WireGuard of location ${l.name}` })),
        ...(balancer?.locations ?? []).map((l) => ({ port: l.listenPort, unit: unitName('balancer'), what: `the load balancer of location ${l.name}` })),
      ],
    };
  }

  private needs(h: ScopedHost, artifacts: LoadedArtifacts): HostNeeds {
    const gateway = h.model.gatewayLocations.length > 0;
    return {
      host: h.row.name,
      sshUser: h.row.ssh_user,
      runtimeArch: artifacts.info.arch,
      gateway,
      keepalived: h.model.keepalived !== null,
      edge: h.model.edge,
      balancer: h.model.balancer !== null,
      tcpPorts: [
        ...(gateway
          ? [
              { port: HEALTH_PORT.gateway, unit: unitName('gateway'), what: 'gateway agent health' },
              { port: CONTROL_PORT.gateway, unit: unitName('gateway'), what: "gateway agent's control link" },
            ]
          : []),
        ...(h.model.edge
          ? [
              { port: HEALTH_PORT.edge, unit: unitName('edge'), what: 'edge agent health' },
              { port: CONTROL_PORT.edge, unit: unitName('edge'), what: "edge agent's control link" },
            ]
          : []),
        ...(h.model.lanHealth ? [{ port: DATAPLANE_HEALTH_PORT, unit: unitName('gateway'), what: "the gateway's health checks for the load balancer" }] : []),
        ...(h.model.balancer
          ? [
              { port: HEALTH_PORT.balancer, unit: unitName('balancer'), what: 'balancer agent health' },
              { port: CONTROL_PORT.balancer, unit: unitName('balancer'), what: "balancer agent's control link" },
            ]
          : []),
      ],
      udpPorts: [...new Map(h.udpPorts.map((p) => [p.port, p])).values()],
    };
  }

  /** Connects with the pinned key; a host never checked is refused before connecting. */
  private async connect(row: HostRow): Promise<SshConnection> {
    if (row.host_key_fingerprint === null) {
      throw new StepFailed({
        step: 'connect',
        message: `host ${row.name} has no pinned SSH host key; run "bulwark host check ${row.name}", compare the fingerprint with the host's console, then accept it with --accept`,
        command: null,
        exitCode: null,
        output: [],
      });
    }
    return this.ports.connectSsh(sshTargetOf(row), row.host_key_fingerprint);
  }

  async plan(scope: ProcParsedInput<'provision.plan'>): Promise<ProcOutput<'provision.plan'>> {
    const hosts = this.hostsInScope(scope);
    const artifacts = await loadArtifacts(this.agentsDir);
    const limit = pLimit(8);
    const plans = await Promise.all(
      hosts.map((h) =>
        limit(async (): Promise<HostPlan> => {
          const desired = desiredHost(await this.withTls(h, false), artifacts);
          let ssh: SshConnection | null = null;
          try {
            ssh = await this.connect(h.row);
            const c = await planHost(ssh, desired);
            return { host: h.row.name, roles: desired.roles, status: isUpToDate(c) ? 'up_to_date' : 'changes', files: c.files, units: c.units, error: null };
          } catch (err) {
            return { host: h.row.name, roles: desired.roles, status: 'error', files: [], units: [], error: toFailure(ssh ? 'inspect' : 'connect', err) };
          } finally {
            ssh?.close();
          }
        }),
      ),
    );
    const changing = plans.filter((p) => p.status === 'changes' && p.units.length > 0).map((p) => p.host);
    const fresh = new Set(plans.filter((p) => firstStart(p.units)).map((p) => p.host));
    return { hosts: plans, rollout: this.rollout(hosts, changing, 'rolling', fresh) };
  }

  /** The order an apply changes `changing` in, from what Core sees live now. */
  private rollout(hosts: ScopedHost[], changing: string[], order: ProcParsedInput<'provision.apply'>['order'], fresh: ReadonlySet<string>) {
    const byName = new Map<string, RolloutLocation>();
    for (const h of hosts) {
      for (const l of h.locations) {
        if (byName.has(l.name)) continue;
        const seen = new Map(this.live.gateways(l.name).map((g) => [g.host, g]));
        byName.set(l.name, { name: l.name, mode: l.mode, balancer: l.balancer, gateways: l.gateways.map((g) => seen.get(g) ?? { host: g, ready: false, why: 'not linked', holdsVip: null }) });
      }
    }
    const lastRestart = new Map(this.store.read((tx) => changing.flatMap((h) => ((ms) => (ms === undefined ? [] : [[h, ms] as const]))(lastRestartMs(tx, h)))));
    return planRollout({ order, changing, fresh, locations: [...byName.values()], lastRestartMs: lastRestart });
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
    const hosts = this.hostsInScope(input);
    const artifacts = await loadArtifacts(this.agentsDir);
    const runId = input.runId ?? randomUUID();
    const release = this.claim(hosts.map((h) => h.row.name));
    const started = Date.now();
    const connections: SshConnection[] = [];
    try {
      this.store.write((tx) => tx.event({ kind: 'provision.started', subject: `run:${runId}`, details: { run: runId, hosts: hosts.map((h) => h.row.name) } }));
      const limit = pLimit(input.parallel);
      // Every host is prepared first, in parallel: preflight, inspect and upload change
      // nothing, and the rollout's order needs to know which hosts change.
      const work = new Map<string, HostWork>();
      await Promise.all(hosts.map((h) => limit(async () => work.set(h.row.name, await this.prepareOne(h, artifacts, runId, input, connections)))));
      const staged = [...work.values()].flatMap((w) => (w.prepared.kind === 'staged' ? [{ host: w.host, units: w.prepared.changes.units }] : []));
      const rollout = this.rollout(hosts, staged.map((s) => s.host), input.order, new Set(staged.filter((s) => firstStart(s.units)).map((s) => s.host)));
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
          // A host left with no files of Bulwark's is no longer "provisioned".
          const w = work.get(host);
          const at = w && w.job.desired.files.length > 0 ? this.ports.now().toISOString() : null;
          const id = hosts.find((h) => h.row.name === host)?.row.id;
          this.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = ? WHERE id = ?', at, id ?? -1));
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
    const desired = desiredHost(await this.withTls(h, true), artifacts);
    const rolling = h.locations.filter(rolls).map((l) => ({ name: l.name, mode: l.mode }));
    const job: HostJob = {
      desired,
      needs: this.needs(h, artifacts),
      installPackages: input.installPackages,
      hostApply: artifacts.hostApply,
      runId,
      now: this.ports.now,
      restartAll: input.restart,
      handover: input.order === 'rolling' ? handoverOf(h.model, new Set(rolling.filter((l) => l.mode === 'vrrp').map((l) => l.name))) : null,
    };
    report('connect', 'started', `${h.row.ssh_user}@${h.row.ssh_address}:${h.row.ssh_port}`);
    let ssh: SshConnection;
    try {
      ssh = await this.connect(h.row);
    } catch (err) {
      const failure = toFailure('connect', err);
      report('connect', 'failed', failure.message, failure);
      return { host, job, report, started, rolling, prepared: { kind: 'failed', result: { outcome: 'failed', changedFiles: 0, units: [], failure, rolledBack: false } } };
    }
    connections.push(ssh);
    report('connect', 'ok', `host key ${ssh.fingerprint}`);
    return { host, job, report, started, rolling, prepared: await prepareHost(ssh, job, report) };
  }

  /** Stops and removes everything Bulwark put on the host; says what it removed. */
  async uninstall(name: string): Promise<ProcOutput<'hosts.uninstall'>> {
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
