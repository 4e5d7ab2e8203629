// What a failed command prints and the code it exits with: 2 for what the user typed, 1 for the rest.
import { CommanderError } from 'commander';
import { BulwarkError, type ErrorCode } from '../contract/index.js';
import type { CliIo } from './io.js';

/** Failures the user fixes by changing what they typed: exit code 2. The rest exit 1. */
const BAD_INPUT = new Set<ErrorCode>(['invalid_input', 'not_found', 'already_exists', 'overlap']);

/** Prints `err` and returns the exit code. `flags` maps contract field names to the flag the user typed. */
export function reportError(err: unknown, flags: Record<string, string>, io: CliIo): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (!(err instanceof BulwarkError)) {
    io.err(`bulwark: unexpected failure: ${(err instanceof Error ? err.stack : undefined) ?? String(err)}\n`);
    return 1;
  }
  if (err.issues.length > 0) {
    for (const i of err.issues) io.err(`bulwark: ${flags[i.field] ?? flags[i.field.split('.')[0]!] ?? i.field}: ${i.message}\n`);
  } else {
    io.err(`bulwark: ${err.message}\n`);
  }
  return BAD_INPUT.has(err.code) ? 2 : 1;
}
