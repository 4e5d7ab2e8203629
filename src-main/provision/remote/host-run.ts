// One host's plan or apply over SSH: connect (pinned key), preflight, inspect, upload to
// staging with checksums, then hand the commit to the host-apply program, which finishes or
// rolls back on the host by itself. Every remote command is built with shellCommand.
import {
  HostApplyLine,
  type HostApplyOrder,
  type HostOutcome,
  type ProvisionStep,
  type StepFailure,
  type UnitChange,
} from '../../contract/index.js';
import type { SshConnection } from '../../core/ports.js';
import type { Artifact, DesiredHost } from '../../host-state/desired.js';
import { HOST_APPLY_LOCK, HOST_BACKUP_DIR, HOST_RUNTIME, HOST_STAGING_DIR } from '../../contract/host-layout.js';
import { configsToDiff, planChanges } from '../plan/host-plan.js';
import { isUpToDate, type HostChanges } from '../../host-state/changes.js';
import { applyOrder, stagingDir } from '../../host-state/apply-order.js';
import { formatBytes } from '../../text/bytes.js';
import { lastLines } from '../../text/last-lines.js';
import { shellCommand } from '../ssh/quote.js';
import type { ExecResult, Upload } from '../ssh/session.js';
import { describeProblems, preflightProblems, type HostFacts, type HostNeeds } from '../../host-state/preflight.js';
import { inspect, readTexts } from './inspect.js';
import { displayCommand, readFacts, RemoteHost, StepFailed, toFailure, type Report } from './remote-host.js';

export interface HostJob {
  desired: DesiredHost;
  needs: HostNeeds;
  installPackages: boolean;
  hostApply: Artifact;
  runId: string;
  now: () => Date;
  /** Restart every desired unit that runs, even where nothing changed. */
  restartAll: boolean;
  /** The floating IPs this host gives up before its units restart (rolling order); null: none. */
  handover: HostApplyOrder['handover'];
}

export interface HostRunResult {
  outcome: HostOutcome;
  changedFiles: number;
  units: UnitChange[];
  failure: StepFailure | null;
  rolledBack: boolean;
  /** The commit failed and so did its rollback: the host needs a person. */
  rollbackFailed?: boolean;
}

/** A host after preflight, inspect and upload: what its commit will do, waiting for its turn. */
export interface StagedHost {
  remote: RemoteHost;
  changes: HostChanges;
  order: HostApplyOrder;
  staging: string;
}

/** How a host's preparation ended: nothing to do, staged for its commit, or failed (nothing changed). */
export type Prepared = { kind: 'up_to_date' } | ({ kind: 'staged' } & StagedHost) | { kind: 'failed'; result: HostRunResult };

/** Timed step: reports started, then ok (with a message) or failed. */
async function step<T>(report: Report, name: ProvisionStep, message: string, work: () => Promise<T>, done?: (v: T) => string): Promise<T> {
  report(name, 'started', message);
  try {
    const v = await work();
    report(name, 'ok', done?.(v));
    return v;
  } catch (err) {
    const failure = toFailure(name, err);
    report(name, 'failed', failure.message, failure);
    throw new StepFailed(failure);
  }
}

async function preflight(remote: RemoteHost, job: HostJob, report: Report, installed: string[]): Promise<HostFacts> {
  return step(report, 'preflight', 'OS, architecture, privileges, packages, ports', async () => {
    let facts = await readFacts(remote.ssh);
    remote = new RemoteHost(remote.ssh, facts.privileges);
    let problems = preflightProblems(facts, job.needs);
    const packages = [...new Set(problems.flatMap((p) => p.packages))];
    if (problems.length > 0 && job.installPackages && packages.length > 0 && problems.every((p) => p.packages.length > 0)) {
      if (!facts.commands.has('apt-get')) {
        throw new StepFailed({ step: 'preflight', message: `${describeProblems(job.desired.host, problems)}\n--install-packages needs apt-get, which this host lacks`, command: null, exitCode: null, output: [] });
      }
      report('preflight', 'started', `installing ${packages.join(' ')} with apt-get`);
      await remote.run(
        'preflight',
        `apt-get install ${packages.join(' ')}`,
        ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Options::=--force-confold', '--no-install-recommends', ...packages],
        undefined,
        600_000,
      );
      installed.push(...packages);
      facts = await readFacts(remote.ssh);
      problems = preflightProblems(facts, job.needs);
    }
    if (problems.length > 0) {
      throw new StepFailed({ step: 'preflight', message: describeProblems(job.desired.host, problems), command: null, exitCode: null, output: [] });
    }
    return facts;
  }, (f) => `${f.os}, ${f.arch}, ${f.privileges}`);
}

/** Plans one host: what would change. The connection is the caller's. */
export async function planHost(ssh: SshConnection, desired: DesiredHost, restartAll = false): Promise<HostChanges> {
  const facts = await readFacts(ssh);
  if (facts.privileges === 'none') {
    throw new StepFailed({ step: 'preflight', message: `the SSH user is not root and has no passwordless sudo, so Bulwark cannot read its files`, command: null, exitCode: null, output: [] });
  }
  const remote = new RemoteHost(ssh, facts.privileges);
  const observed = await inspect(remote, desired, facts.activeUnits);
  const texts = await readTexts(remote, configsToDiff(desired, observed));
  return planChanges(desired, observed, texts, { restartAll });
}

/**
 * Prepares one host's apply: preflight, inspect, and the upload to staging. Nothing Bulwark
 * installs changes yet. Never throws: a failure is the result.
 */
export async function prepareHost(ssh: SshConnection, job: HostJob, report: Report): Promise<Prepared> {
  let changes: HostChanges | null = null;
  const installed: string[] = [];
  let remote: RemoteHost | null = null;
  try {
    const facts = await preflight(new RemoteHost(ssh, 'root'), job, report, installed);
    remote = new RemoteHost(ssh, facts.privileges);
    const r = remote;
    changes = await step(report, 'inspect', 'comparing files and units with the plan', async () => planChanges(job.desired, await inspect(r, job.desired, facts.activeUnits), new Map(), { restartAll: job.restartAll }), (c) =>
      isUpToDate(c) ? 'up to date' : `${c.files.length} file${c.files.length === 1 ? '' : 's'} and ${c.units.length} unit${c.units.length === 1 ? '' : 's'} to change`,
    );
    if (isUpToDate(changes)) return { kind: 'up_to_date' };
    const c = changes;
    const staging = stagingDir(job.runId);
    const order = await step(report, 'upload', `${c.write.length} file${c.write.length === 1 ? '' : 's'}, ${formatBytes(c.write.reduce((n, f) => n + f.size, 0))}`, () => upload(r, job, c, staging));
    return { kind: 'staged', remote: r, changes: c, order, staging };
  } catch (err) {
    const failure = err instanceof StepFailed ? err.failure : toFailure('connect', err);
    if (failure.step === 'upload' && remote) await discardStaging(remote, stagingDir(job.runId));
    const notes = [
      changes ? 'Nothing Bulwark installs was changed on the host: the failure came before the commit.' : '',
      installed.length ? `apt-get did install ${installed.join(' ')}.` : '',
    ].filter(Boolean);
    if (notes.length) failure.message = `${failure.message}\n${notes.join(' ')}`;
    return { kind: 'failed', result: { outcome: 'failed', changedFiles: 0, units: changes?.units ?? [], failure, rolledBack: false } };
  }
}

/** Best effort: a staged copy (up to 100 MB with the runtime) is not left behind. */
export async function discardStaging(remote: RemoteHost, staging: string): Promise<void> {
  await remote.run('upload', 'removing the staging directory', ['rm', '-rf', '--', staging]).catch(() => undefined);
}

/** Commits a staged host: host-apply installs, restarts, verifies, or rolls back. Never throws. */
export function commitStaged(s: StagedHost, job: HostJob, report: Report): Promise<HostRunResult> {
  return commit(s.remote, job, s.changes, s.staging, s.order, report);
}

async function upload(remote: RemoteHost, job: HostJob, c: HostChanges, staging: string): Promise<HostApplyOrder> {
  const user = remote.privileges === 'sudo' ? await whoami(remote) : 'root';
  // Leftovers of an interrupted run go first (unless that run's host-apply still holds the
  // lock); then a staging directory only we can write.
  await remote.run('upload', 'preparing the staging directory', [
    'sh',
    '-c',
    'mkdir -p -- "$(dirname -- "$5")" && exec 9>"$5" && if ! flock -n 9; then echo "another Bulwark apply is still running on this host (it holds $5); wait for it, then run plan to see where the host is" >&2; exit 75; fi; rm -rf -- "$1" "$2" && mkdir -p -m 0700 -- "$3" && chown -- "$4" "$3"',
    'sh',
    HOST_STAGING_DIR,
    HOST_BACKUP_DIR,
    staging,
    user,
    HOST_APPLY_LOCK,
  ]);
  const now = job.now().toISOString();
  const order = applyOrder({ desired: job.desired, changes: c, run: job.runId, handover: job.handover, appliedAt: now, madeAt: now });
  if (order.staging !== staging) throw new Error('invariant failed: the order stages where the upload does');
  const files: Upload[] = c.write.map((f, i) => ({ remotePath: `${staging}/${order.install[i]!.staged}`, mode: 0o600, source: uploadSource(f) }));
  files.push({ remotePath: `${staging}/host-apply.mjs`, mode: 0o600, source: { kind: 'file', localPath: job.hostApply.localPath } });
  files.push({ remotePath: `${staging}/order.json`, mode: 0o600, source: { kind: 'bytes', bytes: Buffer.from(JSON.stringify(order)) } });
  const sums = [...order.install.map((f) => `${f.sha256}  ${f.staged}`), `${job.hostApply.sha256}  host-apply.mjs`].join('\n');
  files.push({ remotePath: `${staging}/SHA256SUMS`, mode: 0o600, source: { kind: 'bytes', bytes: Buffer.from(`${sums}\n`) } });
  await remote.ssh.upload(files);
  await remote.run('upload', 'checking the uploaded files against their SHA-256 sums', ['sh', '-c', 'cd -- "$1" && sha256sum --quiet -c SHA256SUMS', 'sh', staging]);
  const runtime = order.install.find((f) => f.path === HOST_RUNTIME);
  if (runtime) await remote.run('upload', 'running the uploaded Node runtime', ['sh', '-c', 'chmod 0700 -- "$1" && "$1" --version', 'sh', `${staging}/${runtime.staged}`]);
  return order;
}

function uploadSource(f: HostChanges['write'][number]): Upload['source'] {
  if (f.source.kind === 'text') return { kind: 'bytes', bytes: Buffer.from(f.source.text) };
  if (f.source.kind === 'artifact') return { kind: 'file', localPath: f.source.artifact.localPath };
  throw new Error(`invariant failed: ${f.path} (${f.source.what}) is resolved before an apply uploads it`);
}

async function whoami(remote: RemoteHost): Promise<string> {
  const r = await remote.ssh.exec(shellCommand('id', '-un'));
  const user = r.stdout.trim();
  if (r.code !== 0 || user === '') {
    throw new StepFailed({ step: 'upload', message: 'cannot tell which user Bulwark is logged in as (id -un failed), so the staging directory cannot be given to it', command: 'id -un', exitCode: r.code, output: lastLines(`${r.stdout}\n${r.stderr}`) });
  }
  return user;
}

/** host-apply waits at most 20 s per unit to verify, twice with a rollback: 10 minutes is plenty. */
const COMMIT_TIMEOUT_MS = 600_000;

async function commit(remote: RemoteHost, job: HostJob, c: HostChanges, staging: string, order: HostApplyOrder, report: Report): Promise<HostRunResult> {
  const runtime = order.install.find((f) => f.path === HOST_RUNTIME);
  const node = runtime ? `${staging}/${runtime.staged}` : HOST_RUNTIME;
  let result: Extract<HostApplyLine, { type: 'result' }> | null = null;
  let failure: StepFailure | null = null;
  const onLine = (text: string) => {
    let line: HostApplyLine;
    try {
      line = HostApplyLine.parse(JSON.parse(text));
    } catch {
      return; // not one of ours (a runtime warning); it stays in the collected output
    }
    if (line.type === 'result') {
      result = line;
      return;
    }
    const f: StepFailure | undefined =
      line.status === 'failed' ? { step: line.step, message: line.message ?? `${line.step} failed`, command: line.command ?? null, exitCode: line.exitCode ?? null, output: line.output ?? [] } : undefined;
    if (f && line.step !== 'rollback') failure = f;
    report(line.step, line.status, line.message, f);
  };
  let exec: ExecResult;
  try {
    // flock -E 75: a run still going (from a dropped connection) makes this one stop at once.
    exec = await remote.ssh.exec(remote.command(['flock', '-n', '-E', '75', HOST_APPLY_LOCK, node, `${staging}/host-apply.mjs`, `${staging}/order.json`]), onLine, COMMIT_TIMEOUT_MS);
  } catch (err) {
    const f = toFailure('install', err);
    f.message = `${f.message}. The host-apply program goes on without the connection: it finishes the change or rolls it back by itself. Run "bulwark provision plan --host ${job.desired.host}" to see where the host is.`;
    return { outcome: 'failed', changedFiles: 0, units: c.units, failure: f, rolledBack: false };
  }
  const end = result as Extract<HostApplyLine, { type: 'result' }> | null;
  if (end?.outcome === 'applied') return { outcome: 'applied', changedFiles: c.files.length, units: c.units, failure: null, rolledBack: false };
  const f: StepFailure = failure ?? {
    step: 'install',
    message:
      end?.message ??
      (exec.code === 75
        ? `another Bulwark apply is still running on host ${job.desired.host} (it holds ${HOST_APPLY_LOCK}); nothing was changed by this one. Wait for it, then run "bulwark provision plan --host ${job.desired.host}"`
        : `the host-apply program ended with exit code ${exec.code} and no result`),
    command: displayCommand([node, `${staging}/host-apply.mjs`, `${staging}/order.json`]),
    exitCode: exec.code,
    output: lastLines(`${exec.stdout}\n${exec.stderr}`),
  };
  if (end?.outcome === 'rollback_failed') f.message = `${f.message}\nThe rollback did not complete: ${end.message}. Check the host by hand.`;
  else if (end?.outcome === 'rolled_back') f.message = `${f.message}\nThe host was rolled back to its previous files and units.`;
  return { outcome: 'failed', changedFiles: 0, units: c.units, failure: f, rolledBack: end?.outcome === 'rolled_back', rollbackFailed: end?.outcome === 'rollback_failed' };
}
