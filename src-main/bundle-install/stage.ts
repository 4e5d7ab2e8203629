// Staging, as an SSH apply's upload does it: leftovers of an interrupted run go first (unless
// its host-apply still holds the lock), then each file to write is copied (or decrypted) from
// the bundle into a directory only root can read, and checked against its SHA-256 once there.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostApplyOrder } from '../contract/index.js';
import { HOST_APPLY_LOCK, HOST_BACKUP_DIR, HOST_STAGING_DIR } from '../contract/host-layout.js';
import { open } from '../bundle-format/sealing.js';
import type { DesiredFile } from '../host-state/desired.js';
import { CommandFailed } from './packages.js';

/** Where a desired file's bytes are in the bundle, and whether they are sealed. */
export interface Source {
  entry: string;
  encrypted: boolean;
}

export function stage(bundleDir: string, order: HostApplyOrder, write: DesiredFile[], sources: Map<string, Source>, key: Buffer | null, hostApply: string): void {
  try {
    execFileSync('sh', [
      '-c',
      'mkdir -p -- "$(dirname -- "$4")" && exec 9>"$4" && if ! flock -n 9; then echo "another Bulwark apply is still running on this host (it holds $4); wait for it, then install again" >&2; exit 75; fi; rm -rf -- "$1" "$2" && mkdir -p -m 0700 -- "$3"',
      'sh', HOST_STAGING_DIR, HOST_BACKUP_DIR, order.staging, HOST_APPLY_LOCK,
    ], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { status?: number | null; stderr?: string };
    throw new CommandFailed((e.stderr ?? '').trim() || 'cannot prepare the staging directory', 'prepare staging', e.status ?? null, []);
  }
  write.forEach((f, i) => {
    const src = sources.get(f.path);
    const staged = join(order.staging, order.install[i]!.staged);
    if (!src) throw new Error(`invariant failed: the bundle carries ${f.path}`);
    const from = join(bundleDir, src.entry);
    if (src.encrypted) {
      const plain = key ? open(key, readFileSync(from), f.path) : null;
      if (!plain) throw new Error(`${src.entry} does not open with the bundle's key: it was changed after signing`);
      writeFileSync(staged, plain, { mode: 0o600 });
    } else {
      copyFileSync(from, staged);
      chmodSync(staged, 0o600);
    }
    const sha = createHash('sha256').update(readFileSync(staged)).digest('hex');
    if (sha !== f.sha256) throw new Error(`the staged copy of ${f.path} does not match its SHA-256; the disk may be failing`);
  });
  copyFileSync(hostApply, join(order.staging, 'host-apply.mjs'));
  writeFileSync(join(order.staging, 'order.json'), JSON.stringify(order), { mode: 0o600 });
}

/** Removes staging (and its parent when empty) after a failure before the commit. */
export function discardStaging(order: HostApplyOrder): void {
  rmSync(order.staging, { recursive: true, force: true });
  try {
    rmSync(dirname(order.staging), { recursive: false });
  } catch {
    // not empty, or gone
  }
}
