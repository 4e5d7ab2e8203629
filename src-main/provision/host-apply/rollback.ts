// host-apply's rollback: puts back the exact previous files, unit enablement and running state,
// then checks that what ran before runs again with the configuration it restored.
import { existsSync, renameSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import type { HostApplyOrder } from '../../contract/index.js';
import { lstatQuietly, placeAtomically, rmdirIfEmpty, sha256, type Saved } from './files.js';
import { isEnabled, query, systemctl, unitJob } from './systemd.js';
import { verify } from './verify.js';

export interface UnitState {
  unit: string;
  /** Running, or starting (a unit in auto-restart counts: rollback brings it back to that). */
  active: boolean;
  enabled: boolean;
}

export interface Undo {
  saved: Saved[];
  /** Paths this run wrote or removed, in order. */
  touched: string[];
  createdDirs: string[];
  /** Units this run gave a systemctl command to, as they were before; only these are restored. */
  units: UnitState[];
  stateDirsBefore: Map<string, boolean>;
}

/** True when the file at `path` is still exactly the one saved: same bytes, mode and owner. */
function unchanged(path: string, s: Saved): boolean {
  const st = lstatQuietly(path);
  return st !== null && st.isFile() && (st.mode & 0o7777) === s.mode && st.uid === s.uid && st.gid === s.gid && sha256(path) === sha256(s.backupFile);
}

/** Restores what `undo` recorded; returns the problems (empty when the host is back). */
export async function rollback(order: HostApplyOrder, undo: Undo): Promise<string[]> {
  const problems: string[] = [];
  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  // While the new unit files still exist: stop and disable what this run started or enabled,
  // so no enablement link is left pointing at a unit file about to disappear.
  for (const u of undo.units) {
    if (!u.active) attempt(`stop ${u.unit}`, () => void query('stop', '--', u.unit));
    if (!u.enabled && isEnabled(u.unit)) attempt(`disable ${u.unit}`, () => void systemctl('disable', '--', u.unit));
  }
  const byPath = new Map(undo.saved.map((s) => [s.path, s]));
  for (const path of [...undo.touched, order.manifest.path].reverse()) {
    const s = byPath.get(path);
    if (!s) continue;
    attempt(`restore ${path}`, () => {
      if (s.existed && s.linkTarget !== null) {
        rmSync(`${path}.bulwark-new`, { force: true });
        symlinkSync(s.linkTarget, `${path}.bulwark-new`);
        renameSync(`${path}.bulwark-new`, path);
      } else if (s.existed) {
        // A write that failed never reached the file (placement is one rename): it needs no
        // restore, which on a read-only directory could not succeed either.
        if (unchanged(path, s)) return rmSync(`${path}.bulwark-new`, { force: true });
        placeAtomically(s.backupFile, path, s.mode, s.uid, s.gid);
      }
      else if (lstatQuietly(path) !== null) unlinkSync(path);
    });
  }
  for (const dir of [...undo.createdDirs].reverse()) attempt(`remove ${dir}`, () => rmdirIfEmpty(dir));
  if (order.units.reload || undo.touched.some((p) => p.endsWith('.service'))) attempt('systemctl daemon-reload', () => void systemctl('daemon-reload'));
  for (const u of undo.units) {
    attempt(`restore ${u.unit}`, () => {
      if (u.enabled && !isEnabled(u.unit)) unitJob(u.unit, 'enable');
      if (u.active) unitJob(u.unit, 'restart');
      else void query('reset-failed', '--', u.unit);
    });
  }
  // What ran before must run again, with the configuration now back in place.
  for (const u of undo.units.filter((x) => x.active)) {
    const v = order.verify.find((x) => x.unit === u.unit);
    if (!v || !existsSync(v.configPath)) continue;
    try {
      await verify({ ...v, configSha256: sha256(v.configPath) }, order.verifyTimeoutS, 'restored');
    } catch (err) {
      problems.push(`${u.unit} after the rollback: ${(err as Error).message}`);
    }
  }
  for (const [dir, existed] of undo.stateDirsBefore) {
    if (!existed) attempt(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  }
  return problems;
}
