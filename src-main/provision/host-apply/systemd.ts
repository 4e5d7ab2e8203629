// host-apply's unit jobs. Others reload systemd while Bulwark applies (apt, config management).
// systemd reads the unit directories with readdir at a reload, and an entry renamed meanwhile
// may be missed (POSIX leaves it unspecified; on tmpfs the renamed entry moves before the
// cursor): that reload leaves the unit not-found (inactive) or failed to load (running), and
// systemd reads the file again only at the next daemon-reload. So host-apply checks LoadState
// before a job and reloads first when it is stale, and retries a job answered "not found"
// once after a reload of its own; any other failure is the unit's and is reported as it is.
// A listing can also stay stale across reloads: overlayfs (containers, the lab) caches a merged
// directory's listing until the directory changes again, and a listing read while an entry was
// renamed may miss it. So before its own reload host-apply changes the directory once (a file
// made and removed), which makes the next readdir read it afresh.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HOST_UNIT_DIR } from '../../contract/host-layout.js';
import { run, StepError, withJournal } from './output.js';

/** systemctl's exit status for "no such unit" (EXIT_NOTINSTALLED, as systemctl(1) documents it). */
export const EXIT_UNIT_NOT_FOUND = 5;

/**
 * Whether the manager has a unit in a state only a daemon-reload changes while its file is on
 * disk: not-found (inactive when the reload missed its file) or error (running then). Pure.
 */
export function staleLoad(facts: { loadState: string; fileExists: boolean }): boolean {
  return facts.fileExists && (facts.loadState === 'not-found' || facts.loadState === 'error');
}

/**
 * Whether a failed unit job is retried after a daemon-reload: once, when systemctl answered
 * "Unit … not found" (exit 5) for a unit whose file is there, i.e. another program's reload
 * came between host-apply's check and its job. Any other failure is the unit's own. Pure.
 */
export function retryAfterReload(failure: { exitCode: number | null | undefined; loadState: string; fileExists: boolean; retried: boolean }): boolean {
  return !failure.retried && failure.exitCode === EXIT_UNIT_NOT_FOUND && failure.loadState === 'not-found' && failure.fileExists;
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
  const props = new Map(query('show', '-p', 'LoadState', '-p', 'FragmentPath', '--', unit).split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const loadState = props.get('LoadState') ?? '';
  const fragment = props.get('FragmentPath') ?? '';
  // A not-found unit has no FragmentPath: look where Bulwark (or the admin) puts unit files.
  const candidates = fragment ? [fragment] : [`${HOST_UNIT_DIR}/${unit}`, `/lib/systemd/system/${unit}`, `/usr/lib/systemd/system/${unit}`];
  return { loadState, fileExists: candidates.some((p) => existsSync(p)) };
}

/** A daemon-reload that reads the unit's directory afresh (see the top of this file). */
function reloadAfresh(unit: string): void {
  const dir = dirname(loadFactsPath(unit));
  const nudge = join(dir, `.bulwark-reload-${process.pid}`);
  try {
    writeFileSync(nudge, '');
    rmSync(nudge, { force: true });
  } catch {
    // a read-only unit directory: the reload still helps in every other case
  }
  systemctl('daemon-reload');
}

/** Where the unit's file is: the manager's FragmentPath, else Bulwark's unit directory. */
function loadFactsPath(unit: string): string {
  const fragment = query('show', '-p', 'FragmentPath', '--value', '--', unit);
  return fragment || `${HOST_UNIT_DIR}/${unit}`;
}

/**
 * `systemctl ARGS -- UNIT`, with the unit's journal on failure. A unit that a reload by others
 * left not-found or failed to load (its file is there) gets a daemon-reload first; a job that
 * still finds it not found is retried once after another.
 */
export function unitJob(unit: string, ...args: string[]): void {
  withJournal(unit, () => {
    const before = loadFacts(unit);
    if (staleLoad(before)) reloadAfresh(unit);
    try {
      systemctl(...args, '--', unit);
    } catch (err) {
      if (!(err instanceof StepError)) throw err;
      const facts = loadFacts(unit);
      if (!retryAfterReload({ exitCode: err.exitCode, ...facts, retried: false })) throw err;
      reloadAfresh(unit);
      try {
        systemctl(...args, '--', unit);
      } catch (again) {
        if (!(again instanceof StepError)) throw again;
        throw new StepError(`${again.message} (also after a daemon-reload: at first systemd had ${unit} ${facts.loadState})`, again.command, again.exitCode, [...err.output, ...again.output]);
      }
    }
  });
}
