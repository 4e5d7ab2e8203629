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
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { HostApplyOrder, type HostApplyLine } from '../../src-main/contract/index.js';

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
    return execFileSync('systemctl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
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
  backupFile: string;
  mode: number;
  uid: number;
  gid: number;
}

interface UnitState {
  unit: string;
  active: boolean;
  enabled: boolean;
}

function main(): number {
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

  const step = <T>(name: Step, message: string, fn: () => T): T => {
    current = name;
    emit({ type: 'step', step: name, status: 'started', message });
    const out = fn();
    emit({ type: 'step', step: name, status: 'ok' });
    return out;
  };

  try {
    step('backup', `saving the ${order.install.length + order.remove.length + 1} files it replaces`, () => {
      mkdirSync(order.backup, { recursive: true, mode: 0o700 });
      const paths = [...order.install.map((f) => f.path), ...order.remove, order.manifest.path];
      paths.forEach((path, i) => {
        const backupFile = join(order.backup, `b${i}`);
        if (existsSync(path)) {
          const st = statSync(path);
          copyFileSync(path, backupFile);
          saved.push({ path, existed: true, backupFile, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
        } else {
          saved.push({ path, existed: false, backupFile, mode: 0, uid: 0, gid: 0 });
        }
      });
      for (const unit of allUnits) {
        unitsBefore.push({ unit, active: query('is-active', unit) === 'active', enabled: query('is-enabled', unit) === 'enabled' });
      }
    });

    const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
    step('install', `moving ${files(order.install.length)} into place${order.remove.length ? `, removing ${files(order.remove.length)}` : ''}`, () => {
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

    if (order.units.reload) step('reload', 'systemctl daemon-reload', () => systemctl('daemon-reload'));

    const restartMessage = [
      order.units.stop.length ? `stop ${order.units.stop.join(' ')}` : '',
      order.units.start.length ? `start ${order.units.start.join(' ')}` : '',
      order.units.restart.length ? `restart ${order.units.restart.join(' ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    if (restartMessage) {
      step('restart', restartMessage, () => {
        for (const unit of order.units.stop) systemctl('disable', '--now', unit);
        for (const unit of order.units.start) withJournal(unit, () => systemctl('enable', '--now', unit));
        for (const unit of order.units.restart) {
          systemctl('enable', unit);
          withJournal(unit, () => systemctl('restart', unit));
        }
      });
    }

    if (order.verify.length > 0) {
      step('verify', `health of ${order.verify.map((v) => v.unit).join(', ')}`, () => {
        for (const v of order.verify) verify(v, order.verifyTimeoutS);
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
    const problems = rollback(order, saved, touched, createdDirs, unitsBefore, stateDirsBefore);
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
    return lastLines(execFileSync('journalctl', ['-u', unit, '-n', '20', '--no-pager', '-o', 'cat'], { encoding: 'utf8' }));
  } catch {
    return []; // no journal: the message still says what failed
  }
}

function verify(v: { unit: string; url: string; configSha256: string }, timeoutS: number): void {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  while (Date.now() < deadline) {
    const active = query('is-active', v.unit);
    if (active === 'active') {
      const r = health(v.url);
      if (r.ok && r.configSha256 === v.configSha256) return;
      last = r.ok ? `${v.url} reports configuration ${r.configSha256.slice(0, 12)}, not the new ${v.configSha256.slice(0, 12)}` : `${v.url}: ${r.error}`;
    } else {
      last = `${v.unit} is ${active || 'unknown'}`;
    }
    sleep(200);
  }
  throw new StepError(`${v.unit} is not healthy after ${timeoutS} s: ${last}`, `systemctl is-active ${v.unit}; GET ${v.url}`, null, journal(v.unit));
}

function health(url: string): { ok: true; configSha256: string } | { ok: false; error: string } {
  // A synchronous GET with curl-free tooling: the runtime itself, in a child process.
  try {
    const out = execFileSync(
      process.execPath,
      ['-e', `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(2000)}).then(async r=>{process.stdout.write(r.status+' '+await r.text())}).catch(e=>{process.stdout.write('0 '+(e.cause?.code||e.message))})`],
      { encoding: 'utf8', timeout: 5000 },
    );
    const space = out.indexOf(' ');
    const status = Number(out.slice(0, space));
    if (status !== 200) return { ok: false, error: status === 0 ? `no answer (${out.slice(space + 1)})` : `HTTP ${status}` };
    return { ok: true, configSha256: String((JSON.parse(out.slice(space + 1)) as { configSha256?: string }).configSha256 ?? '') };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function rollback(
  order: HostApplyOrder,
  saved: Saved[],
  touched: string[],
  createdDirs: string[],
  unitsBefore: UnitState[],
  stateDirsBefore: Map<string, boolean>,
): string[] {
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  // Stop what this run started before its files go away.
  for (const u of unitsBefore) if (!u.active) attempt(`stop ${u.unit}`, () => void query('stop', u.unit));
  const byPath = new Map(saved.map((s) => [s.path, s]));
  for (const path of [...touched, order.manifest.path].reverse()) {
    const s = byPath.get(path);
    if (!s) continue;
    attempt(`restore ${path}`, () => {
      if (s.existed) placeAtomically(s.backupFile, path, s.mode, s.uid, s.gid);
      else if (existsSync(path) || isDanglingLink(path)) unlinkSync(path);
    });
  }
  for (const dir of [...createdDirs].reverse()) attempt(`remove ${dir}`, () => rmdirIfEmpty(dir));
  if (order.units.reload || touched.some((p) => p.endsWith('.service'))) attempt('systemctl daemon-reload', () => void systemctl('daemon-reload'));
  for (const u of unitsBefore) {
    attempt(`restore ${u.unit}`, () => {
      const enabled = query('is-enabled', u.unit) === 'enabled';
      if (u.enabled && !enabled) systemctl('enable', u.unit);
      if (!u.enabled && enabled) systemctl('disable', u.unit);
      if (u.active) systemctl('restart', u.unit);
    });
  }
  // What ran before must run again, with its previous configuration.
  for (const u of unitsBefore.filter((x) => x.active)) {
    const v = order.verify.find((x) => x.unit === u.unit);
    if (v && existsSync(v.configPath)) attempt(`${u.unit} after the rollback`, () => verify({ ...v, configSha256: sha256(v.configPath) }, order.verifyTimeoutS));
  }
  for (const [dir, existed] of stateDirsBefore) {
    if (!existed) attempt(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  }
  return problems;
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
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

process.exitCode = main();
