// One run of the CLI as its commands see it: where they write, the exit code so far, and how a
// command file adds a subcommand whose options and arguments reach its action typed.
import type { Command } from 'commander';
import type { CliIo } from './io.js';
import { addOptions, flagsByField, type Options, type OptionSpecs } from './options.js';
import { reportError } from './report-error.js';

/** The arguments a usage such as `add <name>` gives the action: one string each. */
export type Arguments<U extends string> = U extends `${string}<${string}>${infer Rest}` ? [string, ...Arguments<Rest>] : [];

/** An action: the command's arguments, its options, the command; it may return an exit code. */
export type Action<U extends string, S extends OptionSpecs> = (...args: [...Arguments<U>, Options<S>, Command]) => Promise<number | void>;

export class Cli {
  private code = 0;

  constructor(
    readonly io: CliIo,
    /** True when stdout is a terminal that can redraw lines. */
    readonly live: boolean,
  ) {}

  /** The code the process exits with: 0, or what the last failure or action set. */
  get exitCode(): number {
    return this.code;
  }

  json(value: unknown): void {
    this.io.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * Adds `usage` (a name and its `<arguments>`) below `parent` with the options of `options`.
   * A failure of `action` is reported with the flag the user typed: bad input exits 2, the rest 1.
   */
  command<U extends string, S extends OptionSpecs>(parent: Command, usage: U, description: string, options: S, action: Action<U, S>): Command {
    const cmd = addOptions(parent.command(usage).description(description), options);
    const flags = flagsByField(cmd, options);
    return cmd.action(this.guard(flags, action));
  }

  private guard<A extends unknown[]>(flags: Record<string, string>, action: (...args: A) => Promise<number | void>) {
    return async (...args: A): Promise<void> => {
      try {
        const code = await action(...args);
        // A `void` action may still hand back a value (stdout.write's boolean): only numbers count.
        if (typeof code === 'number') this.code = code;
      } catch (err) {
        this.code = reportError(err, flags, this.io);
      }
    };
  }
}
