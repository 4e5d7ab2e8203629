// Teardown of labs: ending a lab's processes by PID (only those it started), its namespaces,
// and links; also what `npm run lab:down` runs for labs an interrupted run left.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const STATE_ROOT = '/tmp';
export const STATE_PREFIX = 'bulwark-lab-';

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function killQuietly(pid: number): void {
  try {
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** True while the process exists and has not exited (a zombie awaiting its parent counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function waitGone(pid: number, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isRunning(pid)) spawnSync('sleep', ['0.05']);
}

/** Removes a lab's namespaces, link, processes (from its pid files) and state dir. All labs when id is undefined. */
export function removeLabLeftovers(id?: string): string[] {
  const removed: string[] = [];
  const ids = id ? [id] : readdirSync(STATE_ROOT).filter((d) => d.startsWith(STATE_PREFIX)).map((d) => d.slice(STATE_PREFIX.length));
  for (const labId of ids) {
    const dir = join(STATE_ROOT, `${STATE_PREFIX}${labId}`);
    if (existsSync(dir)) {
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
        const pid = Number(readFileSync(join(dir, f), 'utf8'));
        // Only a process that is still the nspawn we started (its command line says so).
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`bwl${labId}`)) {
            for (const c of childrenOf(pid)) killQuietly(c);
            killQuietly(pid);
            waitGone(pid, 5000);
          }
        } catch {
          // not running
        }
      }
    }
    // The admin link first: deleting the switch namespace would take it silently.
    try {
      ip('link', 'del', `bwl${labId}a`);
      removed.push(`link bwl${labId}a`);
    } catch {
      // already gone
    }
    const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`bwl${labId}-`));
    for (const ns of namespaces) {
      try {
        ip('netns', 'del', ns);
        removed.push(`netns ${ns}`);
      } catch {
        // already gone
      }
    }
    if (existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    }
  }
  return removed;
}
