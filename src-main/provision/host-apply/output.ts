// What host-apply says and how it runs a command: one JSON line per step on stdout, a
// StepError that carries the command, its exit code and the tail of its output, and a failing
// unit's own journal lines.
import { execFileSync } from 'node:child_process';
import type { HostApplyLine } from '../../contract/index.js';
import { lastLines } from '../../text/last-lines.js';

export type Step = Extract<HostApplyLine, { type: 'step' }>['step'];

export class StepError extends Error {
  constructor(
    message: string,
    readonly command?: string,
    readonly exitCode?: number | null,
    readonly output: string[] = [],
  ) {
    super(message);
  }
}

export function emit(line: HostApplyLine): void {
  try {
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } catch {
    // Nobody is listening any more (the connection dropped); the work goes on.
  }
}

/** Runs a program; a non-zero exit is a StepError with the command, exit code and output tail. */
export function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
    const output = lastLines(`${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    throw new StepError(`${cmd} ${args.join(' ')} failed`, [cmd, ...args].join(' '), e.status ?? null, output);
  }
}

/** A unit's last journal lines (at most 20), or none when there is no journal. */
export function journal(unit: string): string[] {
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

/** A unit that fails to start: its own last journal lines say why, so they join the output. */
export function withJournal<T>(unit: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    throw new StepError(err.message, err.command, err.exitCode, lastLines([...err.output, ...journal(unit)].join('\n')));
  }
}
