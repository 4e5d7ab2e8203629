// Finds a daemon by its pid file: the pid when that process lives (not a zombie) and, when
// asked, has the expected command name; null otherwise (no file, stale pid, pid reused).
import { readFileSync } from 'node:fs';

export function livePid(pidFile: string, comm?: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0)) return null;
    if (/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return null;
    if (comm !== undefined && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) return null;
    return pid;
  } catch {
    return null;
  }
}
