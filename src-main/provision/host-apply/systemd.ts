// host-apply's unit jobs. Others reload systemd while Bulwark applies (apt, config management):
// a reload that ran while a unit file was out of place leaves the unit not-found (or, when it
// was running, failed to load) in the manager, and systemd only looks at the file again at the
// next daemon-reload. So a job that fails that way gets one daemon-reload of its own and one
// retry; any other failure is reported as it is.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HOST_UNIT_DIR } from '../../contract/host-layout.js';
import { run, StepError, withJournal } from './output.js';

/** systemctl's exit status for "no such unit" (EXIT_NOTINSTALLED, as systemctl(1) documents it). */
export const EXIT_UNIT_NOT_FOUND = 5;

/**
 * Whether a failed unit job is retried after a daemon-reload: only once, only when the manager
 * does not have the unit loaded while its file is on disk. Pure: the caller reads the facts.
 */
export function retryAfterReload(failure: { exitCode: number | null | undefined; loadState: string; fileExists: boolean; retried: boolean }): boolean {
  if (failure.retried || !failure.fileExists) return false;
  if (failure.exitCode === EXIT_UNIT_NOT_FOUND) return failure.loadState === 'not-found';
  return failure.exitCode === 1 && failure.loadState === 'error';
}

export function systemctl(...args: string[]): string {
  return run('systemctl', args);
}

/** Output of a systemctl query, which uses exit codes for answers. */
export function query(...args: string[]): string {
  try {
    return execFileSync('systemctl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').trim();
  }
}

export function isActive(unit: string): boolean {
  return ['active', 'activating', 'reloading'].includes(query('is-active', '--', unit));
}

export function isEnabled(unit: string): boolean {
  return query('is-enabled', '--', unit) === 'enabled';
}

/** LoadState and whether the unit's file (FragmentPath) is on disk, as the manager sees them now. */
function loadFacts(unit: string): { loadState: string; fileExists: boolean } {
  const [loadState = '', fragment = ''] = query('show', '-p', 'LoadState', '-p', 'FragmentPath', '--value', '--', unit).split('\n');
  // A not-found unit has no FragmentPath: look where Bulwark (or the admin) puts unit files.
  const candidates = fragment ? [fragment] : [`${HOST_UNIT_DIR}/${unit}`, `/lib/systemd/system/${unit}`, `/usr/lib/systemd/system/${unit}`];
  return { loadState, fileExists: candidates.some((p) => existsSync(p)) };
}

/**
 * `systemctl ARGS -- UNIT`, with the unit's journal on failure; a job that found the unit
 * missing or unloadable while its file is there is retried once after a daemon-reload.
 */
export function unitJob(unit: string, ...args: string[]): void {
  withJournal(unit, () => {
    try {
      systemctl(...args, '--', unit);
    } catch (err) {
      if (!(err instanceof StepError)) throw err;
      const facts = loadFacts(unit);
      if (!retryAfterReload({ exitCode: err.exitCode, ...facts, retried: false })) throw err;
      systemctl('daemon-reload');
      try {
        systemctl(...args, '--', unit);
      } catch (again) {
        if (!(again instanceof StepError)) throw again;
        throw new StepError(`${again.message} (also after a daemon-reload: at first systemd had ${unit} ${facts.loadState})`, again.command, again.exitCode, [...err.output, ...again.output]);
      }
    }
  });
}
