// bulwark host-apply: runs on the host, as root, with the Node runtime Bulwark ships. Core
// uploads it with the staged files and a work order (order.json), then runs it once. It backs
// up every file it will touch, moves the new files into place (each by an atomic rename),
// reloads systemd, restarts what changed and verifies health. On any failure it puts back the
// exact previous files, unit enablement and running state. It prints one JSON line per step.
//
// It does not depend on the SSH connection that started it: if the connection drops, it still
// finishes or rolls back. SIGHUP and SIGPIPE are ignored for that reason.
//
// This folder is the program's own: output.ts (progress lines, commands, journal), systemd.ts
// (unit jobs, retried once after a reload by others), files.ts (backup, atomic placement),
// verify.ts (health), rollback.ts, teardown.ts (what a removed role leaves running). It may
// import src-main/contract and src-main/text and agents/shared, nothing of Core's; only
// resources/build.mjs bundles it.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HostApplyOrder } from '../../contract/index.js';
import { backUp, cleanup, placeAtomically, sha256, type Saved } from './files.js';
import { handOver, heldVips } from './handover.js';
import { emit, StepError, type Step } from './output.js';
import { rollback, type UnitState } from './rollback.js';
import { isActive, isEnabled, systemctl, unitJob } from './systemd.js';
import { removeTunnels, stopBalancerNginx } from './teardown.js';
import { verify } from './verify.js';

process.on('SIGHUP', () => undefined);
process.on('SIGPIPE', () => undefined);
process.stdout.on('error', () => undefined);

/** Units this run gave a systemctl command to; rollback restores only these. */
const actedOn = new Set<string>();

function act(unit: string, ...args: string[]): void {
  actedOn.add(unit);
  unitJob(unit, ...args);
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
  const allUnits = [...new Set([...order.units.start, ...order.units.restart, ...order.units.refresh, ...order.units.stop, ...(order.handover ? [order.handover.unit] : [])])];
  const unitsBefore: UnitState[] = [];
  const stateDirsBefore = new Map(order.stateDirs.map((d) => [d, existsSync(d)]));
  let current: Step = 'backup';

  const step = async <T>(name: Step, message: string, fn: () => T | Promise<T>, done?: (v: T) => string): Promise<T> => {
    current = name;
    emit({ type: 'step', step: name, status: 'started', message });
    const out = await fn();
    emit({ type: 'step', step: name, status: 'ok', ...(done ? { message: done(out) } : {}) });
    return out;
  };

  try {
    await step('backup', `saving the ${order.install.length + order.remove.length + 1} files it replaces`, () => {
      mkdirSync(order.backup, { recursive: true, mode: 0o700 });
      saved.push(...backUp([...order.install.map((f) => f.path), ...order.remove, order.manifest.path], order.backup));
      for (const unit of allUnits) unitsBefore.push({ unit, active: isActive(unit), enabled: isEnabled(unit) });
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

    // A master gives up its floating IPs before anything it serves restarts; its keepalived
    // then starts again with the other units, as BACKUP.
    const restart = [...order.units.restart];
    const handover = order.handover;
    const held = handover && (order.units.restart.length > 0 || order.units.stop.length > 0) ? heldVips(handover) : [];
    if (handover && held.length > 0) {
      await step('handover', `giving up ${held.map((v) => v.address).join(', ')} to the standby`, () => handOver(handover, held, (unit) => act(unit, 'stop')), (m) => m);
      if (!order.units.stop.includes(handover.unit) && !restart.includes(handover.unit)) restart.push(handover.unit);
    }

    const restartMessage = [
      order.units.stop.length ? `stop ${order.units.stop.join(' ')}` : '',
      order.units.start.length ? `start ${order.units.start.join(' ')}` : '',
      restart.length ? `restart ${restart.join(' ')}` : '',
      order.units.refresh.length ? `reload ${order.units.refresh.join(' ')}` : '',
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
        for (const unit of restart) {
          act(unit, 'enable');
          act(unit, 'restart');
        }
        for (const unit of order.units.refresh) act(unit, 'reload');
      });
    }

    if (order.verify.length > 0) {
      await step('verify', `health of ${order.verify.map((v) => v.unit).join(', ')}`, async () => {
        for (const v of order.verify) await verify(v, order.verifyTimeoutS, 'new');
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
    const units = unitsBefore.filter((u) => actedOn.has(u.unit));
    const problems = await rollback(order, { saved, touched, createdDirs, units, stateDirsBefore });
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

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`host-apply: ${err.stack ?? err.message}\n`);
    process.exitCode = 70;
  },
);
