// host-apply's file work: digests, atomic placement, the backup of every path it will touch,
// and removing its staging and backup directories at the end.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostApplyOrder } from '../../contract/index.js';
import { StepError } from './output.js';

export interface Saved {
  path: string;
  existed: boolean;
  /** Set when the path was a symbolic link (e.g. a unit masked to /dev/null): restored as a link. */
  linkTarget: string | null;
  backupFile: string;
  mode: number;
  uid: number;
  gid: number;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Copies to a temporary name in the same directory, flushes it, then renames over the target. */
export function placeAtomically(source: string, target: string, mode: number, uid = 0, gid = 0): void {
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

/** Copies each path into the backup directory (b0, b1, …) and records what it was. */
export function backUp(paths: string[], backupDir: string): Saved[] {
  return paths.map((path, i) => {
    const backupFile = join(backupDir, `b${i}`);
    const st = lstatQuietly(path);
    if (st === null) return { path, existed: false, linkTarget: null, backupFile, mode: 0, uid: 0, gid: 0 };
    if (st.isSymbolicLink()) return { path, existed: true, linkTarget: readlinkSync(path), backupFile, mode: 0, uid: st.uid, gid: st.gid };
    if (!st.isFile()) throw new StepError(`${path} is not a regular file or a link; move it away, then apply again`);
    copyFileSync(path, backupFile);
    return { path, existed: true, linkTarget: null, backupFile, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  });
}

export function lstatQuietly(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

export function rmdirIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

/** Removes the staging and backup directories, and their parents when this run left them empty. */
export function cleanup(order: HostApplyOrder): void {
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
