// bulwark host-apply: runs on the host, as root, with the Node runtime Bulwark ships. Core
// uploads it with the staged files and a work order (order.json), then runs it once. It backs
// up every file it will touch, moves the new files into place (each by an atomic rename),
// reloads systemd, restarts what changed and verifies health. On any failure it puts back the
// exact previous files, unit enablement and running state. It prints one JSON line per step.
//
// It does not depend on the SSH connection that started it: if the connection drops, it still
// finishes or rolls back. SIGHUP and SIGPIPE are ignored for that reason.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { HostApplyOrder, type HostApplyLine } from '../../contract/index.js';
import { livePid } from '../../../agents/shared/pid.js';

process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);
process.stdout.on('error', () => undefined);

type Step = Extract<HostApplyLine, { type: 'step' }>['step'];

class StepError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    readonly exitCode?: number | null,
    readonly output: string[] = [],
  ) {
    super(message);
  }
}

function emit(line: HostApplyLine): void {
  try {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } catch {
    // Nobody is listening any more (the connection dropped); the work goes on.
  }
}

function lastLines(text: string, n = 20): string[] {
  return text.split('\n').filter((l) => l.length > 0).slice(-n);
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
    const output = lastLines(`${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    throw new StepError(`${cmd} ${args.join(' ')} failed`, [cmd, ...args].join(' '), e.status ?? null, output);
  }
}

function systemctl(...args: string[]): string {
  return run('systemctl', args);
}

/** Exit status and output of a systemctl query, which uses exit codes for answers. */
function query(...args: string[]): string {
  try {
    return execFileSync('systemctl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').trim();
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Copies to a temporary name in the same directory, flushes it, then renames over the target. */
function placeAtomically(source: string, target: string, mode: number, uid = 0, gid = 0): void {
  const tmp = `${target}.bulwark-new`;
  copyFileSync(source, tmp);
  chmodSync(tmp, mode);
  try {
    execFileSync('chown', [`${uid}:${gid}`, tmp]);
  } catch {
    // chown to root as root cannot fail; keep going if the tool is missing
  }
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

interface Saved {
  path: string;
  existed: boolean;
  /** Set when the path was a symbolic link (e.g. a unit masked to /dev/null): restored as a link. */
  linkTarget: string | null;
  backupFile: string;
  mode: number;
  uid: number;
  gid: number;
}

interface UnitState {
  unit: string;
  /** Running, or starting (a unit in auto-restart counts: rollback brings it back to that). */
  active: boolean;
  enabled: boolean;
}

/** Units this run gave a systemctl command to; rollback restores only these. */
const actedOn = new Set<string>();

function act(unit: string, ...args: string[]): void {
  actedOn.add(unit);
  withJournal(unit, () => systemctl(...args, '--', unit));
}

async function main(): Promise<number> {
  const orderFile = process.argv[2];
  if (!orderFile) {
    process.stderr.write('usage: host-apply ORDER.json\n');
    return 64;
  }
  const order = HostApplyOrder.parse(JSON.parse(readFileSync(orderFile, 'utf8')));
  const saved: Saved[] = [];
  const touched: string[] = [];
  const createdDirs: string[] = [];
  const allUnits = [...new Set([...order.units.start, ...order.units.restart, ...order.units.stop])];
  const unitsBefore: UnitState[] = [];
  const stateDirsBefore = new Map(order.stateDirs.map((d) => [d, existsSync(d)]));
  let current: Step = 'backup';

  const step = async <T>(name: Step, message: string, fn: () => T | Promise<T>): Promise<T> => {
    current = name;
    emit({ type: 'step', step: name, status: 'started', message });
    const out = await fn();
    emit({ type: 'step', step: name, status: 'ok' });
    return out;
  };

  try {
    await step('backup', `saving the ${order.install.length + order.remove.length + 1} files it replaces`, () => {
      mkdirSync(order.backup, { recursive: true, mode: 0o700 });
      const paths = [...order.install.map((f) => f.path), ...order.remove, order.manifest.path];
      paths.forEach((path, i) => {
        const backupFile = join(order.backup, `b${i}`);
        const st = lstatQuietly(path);
        if (st === null) {
          saved.push({ path, existed: false, linkTarget: null, backupFile, mode: 0, uid: 0, gid: 0 });
        } else if (st.isSymbolicLink()) {
          saved.push({ path, existed: true, linkTarget: readlinkSync(path), backupFile, mode: 0, uid: st.uid, gid: st.gid });
        } else if (st.isFile()) {
          copyFileSync(path, backupFile);
          saved.push({ path, existed: true, linkTarget: null, backupFile, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
        } else {
          throw new StepError(`${path} is not a regular file or a link; move it away, then apply again`);
        }
      });
      for (const unit of allUnits) {
        unitsBefore.push({ unit, active: ['active', 'activating', 'reloading'].includes(query('is-active', '--', unit)), enabled: query('is-enabled', '--', unit) === 'enabled' });
      }
    });

    const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
    await step('install', `moving ${files(order.install.length)} into place${order.remove.length ? `, removing ${files(order.remove.length)}` : ''}`, () => {
      for (const dir of order.dirs) {
        if (!existsSync(dir.path)) {
          mkdirSync(dir.path, { mode: dir.mode });
          chmodSync(dir.path, dir.mode);
          createdDirs.push(dir.path);
        }
      }
      for (const f of order.install) {
        const staged = join(order.staging, f.staged);
        if (sha256(staged) !== f.sha256) throw new StepError(`staged copy of ${f.path} does not match its checksum; the upload was damaged`);
        if (!existsSync(dirname(f.path))) throw new StepError(`directory ${dirname(f.path)} does not exist`);
        touched.push(f.path);
        try {
          placeAtomically(staged, f.path, f.mode);
        } catch (err) {
          throw new StepError(`cannot write ${f.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, undefined, [
            (err as Error).message,
          ]);
        }
      }
      for (const path of order.remove) {
        touched.push(path);
        try {
          if (existsSync(path)) unlinkSync(path);
        } catch (err) {
          throw new StepError(`cannot remove ${path}: ${(err as NodeJS.ErrnoException).code}`, undefined, undefined, [(err as Error).message]);
        }
      }
    });

    if (order.units.reload) await step('reload', 'systemctl daemon-reload', () => systemctl('daemon-reload'));

    const restartMessage = [
      order.units.stop.length ? `stop ${order.units.stop.join(' ')}` : '',
      order.units.start.length ? `start ${order.units.start.join(' ')}` : '',
      order.units.restart.length ? `restart ${order.units.restart.join(' ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    if (restartMessage) {
      await step('restart', restartMessage, () => {
        for (const unit of order.units.stop) {
          act(unit, 'disable', '--now');
          // The gateway's tunnels outlive its agent on purpose (KillMode=process); a gateway
          // that is no longer one must not keep accepting its peers.
          if (unit === 'bulwark-gateway.service') removeTunnels();
          // Likewise the balancer's nginx: a host that is no longer a load balancer stops balancing.
          if (unit === 'bulwark-balancer.service') stopBalancerNginx();
        }
        for (const unit of order.units.start) act(unit, 'enable', '--now');
        for (const unit of order.units.restart) {
          act(unit, 'enable');
          act(unit, 'restart');
        }
      });
    }

    if (order.verify.length > 0) {
      await step('verify', `health of ${order.verify.map((v) => v.unit).join(', ')}`, async () => {
        for (const v of order.verify) await verify(v, order.verifyTimeoutS);
      });
    }

    writeFileSync(`${order.manifest.path}.bulwark-new`, order.manifest.content, { mode: 0o600 });
    renameSync(`${order.manifest.path}.bulwark-new`, order.manifest.path);
    cleanup(order);
    emit({ type: 'result', outcome: 'applied', message: 'applied' });
    return 0;
  } catch (err) {
    const e = err instanceof StepError ? err : new StepError((err as Error).message);
    emit({ type: 'step', step: current, status: 'failed', message: e.message, command: e.command, exitCode: e.exitCode ?? null, output: e.output });
    emit({ type: 'step', step: 'rollback', status: 'started', message: `restoring ${touched.length} files` });
    const problems = await rollback(order, saved, touched, createdDirs, unitsBefore, stateDirsBefore);
    cleanup(order);
    if (problems.length > 0) {
      emit({ type: 'step', step: 'rollback', status: 'failed', message: problems.join('; '), output: problems });
      emit({ type: 'result', outcome: 'rollback_failed', message: `${e.message}; the rollback also failed: ${problems.join('; ')}` });
      return 2;
    }
    emit({ type: 'step', step: 'rollback', status: 'ok', message: 'previous files and units restored' });
    emit({ type: 'result', outcome: 'rolled_back', message: e.message });
    return 1;
  }
}

function stopBalancerNginx(): void {
  const pidFile = '/run/bulwark-balancer/nginx.pid';
  const pid = livePid(pidFile, 'nginx');
  try {
    if (pid !== null) process.kill(pid, 'SIGQUIT');
    rmSync(pidFile, { force: true });
  } catch {
    // it ended meanwhile
  }
}

function removeTunnels(): void {
  const names = readdirSync('/sys/class/net').filter((n) => n.startsWith('bw-'));
  for (const name of names) run('ip', ['link', 'del', 'dev', name]);
}

/** A unit that fails to start: its own last journal lines say why, so they join the output. */
function withJournal(unit: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    throw new StepError(err.message, err.command, err.exitCode, lastLines([...err.output, ...journal(unit)].join('\n')));
  }
}

function journal(unit: string): string[] {
  try {
    // A failing unit's last words may still be on their way to journald (its stream socket):
    // have it process and write everything pending first, or the reason can be missing.
    try {
      execFileSync('journalctl', ['--sync'], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      // an older journald: read what is there
    }
    return lastLines(execFileSync('journalctl', ['-u', unit, '-n', '20', '--no-pager', '-o', 'cat'], { encoding: 'utf8', timeout: 30_000 }));
  } catch {
    return []; // no journal: the message still says what failed
  }
}

async function verify(v: { unit: string; url: string | null; configSha256: string }, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  let activeSince: number | null = null;
  while (Date.now() < deadline) {
    const active = query('is-active', '--', v.unit);
    if (active === 'active' && v.url === null) {
      // No health endpoint (keepalived): active, and still active a second later (a bad
      // configuration makes it exit at once).
      activeSince ??= Date.now();
      if (Date.now() - activeSince >= 1000) return;
      last = `${v.unit} just started`;
    } else if (active === 'active' && v.url !== null) {
      const r = await health(v.url);
      if (r.ok && r.configSha256 === v.configSha256) return;
      last = r.ok ? `${v.url} reports configuration ${r.configSha256.slice(0, 12)}, not the new ${v.configSha256.slice(0, 12)}` : `${v.url}: ${r.error}`;
    } else {
      activeSince = null;
      last = `${v.unit} is ${active || 'unknown'}`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StepError(`${v.unit} is not healthy after ${timeoutS} s: ${last}`, `systemctl is-active ${v.unit}${v.url ? `; GET ${v.url}` : ''}`, null, journal(v.unit));
}

async function health(url: string): Promise<{ ok: true; configSha256: string } | { ok: false; error: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    if (res.status !== 200) {
      let problems: string[] = [];
      try {
        problems = (JSON.parse(text) as { problems?: string[] }).problems ?? [];
      } catch {
        // not JSON: the status says enough
      }
      return { ok: false, error: `HTTP ${res.status}${problems.length ? `: ${problems.join('; ')}` : ''}` };
    }
    return { ok: true, configSha256: String((JSON.parse(text) as { configSha256?: string }).configSha256 ?? '') };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, error: `no answer (${e.cause?.code ?? e.message})` };
  }
}

async function rollback(
  order: HostApplyOrder,
  saved: Saved[],
  touched: string[],
  createdDirs: string[],
  unitsBefore: UnitState[],
  stateDirsBefore: Map<string, boolean>,
): Promise<string[]> {
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  const touchedUnits = unitsBefore.filter((u) => actedOn.has(u.unit));
  // While the new unit files still exist: stop and disable what this run started or enabled,
  // so no enablement link is left pointing at a unit file about to disappear.
  for (const u of touchedUnits) {
    if (!u.active) attempt(`stop ${u.unit}`, () => void query('stop', '--', u.unit));
    if (!u.enabled && query('is-enabled', '--', u.unit) === 'enabled') attempt(`disable ${u.unit}`, () => void systemctl('disable', '--', u.unit));
  }
  const byPath = new Map(saved.map((s) => [s.path, s]));
  for (const path of [...touched, order.manifest.path].reverse()) {
    const s = byPath.get(path);
    if (!s) continue;
    attempt(`restore ${path}`, () => {
      if (s.existed && s.linkTarget !== null) {
        rmSync(`${path}.bulwark-new`, { force: true });
        symlinkSync(s.linkTarget, `${path}.bulwark-new`);
        renameSync(`${path}.bulwark-new`, path);
      } else if (s.existed) placeAtomically(s.backupFile, path, s.mode, s.uid, s.gid);
      else if (lstatQuietly(path) !== null) unlinkSync(path);
    });
  }
  for (const dir of [...createdDirs].reverse()) attempt(`remove ${dir}`, () => rmdirIfEmpty(dir));
  if (order.units.reload || touched.some((p) => p.endsWith('.service'))) attempt('systemctl daemon-reload', () => void systemctl('daemon-reload'));
  for (const u of touchedUnits) {
    attempt(`restore ${u.unit}`, () => {
      if (u.enabled && query('is-enabled', '--', u.unit) !== 'enabled') systemctl('enable', '--', u.unit);
      if (u.active) systemctl('restart', '--', u.unit);
      else void query('reset-failed', '--', u.unit);
    });
  }
  // What ran before must run again, with its previous configuration.
  for (const u of touchedUnits.filter((x) => x.active)) {
    const v = order.verify.find((x) => x.unit === u.unit);
    if (!v || !existsSync(v.configPath)) continue;
    try {
      await verify({ ...v, configSha256: sha256(v.configPath) }, order.verifyTimeoutS);
    } catch (err) {
      problems.push(`${u.unit} after the rollback: ${(err as Error).message}`);
    }
  }
  for (const [dir, existed] of stateDirsBefore) {
    if (!existed) attempt(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  }
  return problems;
}

function lstatQuietly(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function rmdirIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

/** Removes the staging and backup directories, and their parents when this run left them empty. */
function cleanup(order: HostApplyOrder): void {
  for (const dir of [order.staging, order.backup]) {
    rmSync(dir, { recursive: true, force: true });
    rmdirIfEmptyQuietly(dirname(dir));
  }
  rmdirIfEmptyQuietly(dirname(dirname(order.staging)));
}

function rmdirIfEmptyQuietly(dir: string): void {
  try {
    rmdirIfEmpty(dir);
  } catch {
    // not empty or already gone
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`host-apply: ${err.stack ?? err.message}\n`);
    process.exitCode = 70;
  },
);
