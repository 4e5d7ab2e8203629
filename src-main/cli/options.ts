// A command's options as one table keyed by the name its action reads them by. The table adds
// them to commander (the flag is the key in kebab case: `lbHost` is `--lb-host`), gives the
// action their types, and tells the error report which flag filled which contract field.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { z } from 'zod';
import { fromZodError, invariant } from '../contract/index.js';

export interface OptionSpec<T> {
  /** The commander options behind one key, given its flag: one, or `--x` and `--no-x` for a toggle. */
  readonly build: (flag: string) => Option[];
  /** The contract field this option fills when that is not its key (`pubkey` fills `publicKey`). */
  readonly field?: string;
  /** Never set: the type of the value the action gets. */
  readonly type?: T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** What the action gets for a table: commander's parsed values, typed by the table. */
export type Options<S extends OptionSpecs> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

interface Extra {
  field?: string;
  /** A one-letter alias, such as "-o". */
  short?: `-${string}`;
}

const withShort = (flag: string, extra?: Extra) => (extra?.short ? `${extra.short}, ${flag}` : flag);

const spec = <T>(build: (flag: string) => Option[], extra: Extra = {}): OptionSpec<T> => ({ build, ...extra });

/** An option with a value, e.g. `--vip <address/prefix>`; undefined when not given. */
export function text(arg: string, help?: string, extra?: Extra): OptionSpec<string | undefined> {
  return spec((flag) => [new Option(`${withShort(flag, extra)} ${arg}`, help)], extra);
}

/** An option the command cannot run without; commander refuses the command line without it. */
export function required(arg: string, help?: string, extra?: Extra): OptionSpec<string> {
  return spec((flag) => [new Option(`${withShort(flag, extra)} ${arg}`, help).makeOptionMandatory()], extra);
}

/** An option with a value that falls back to `fallback` (shown in the help). */
export function withDefault(arg: string, help: string, fallback: string): OptionSpec<string> {
  return spec((flag) => [new Option(`${flag} ${arg}`, help).default(fallback)]);
}

/** An option whose value `parse` turns into a T; undefined when not given. */
export function parsed<T>(arg: string, help: string, parse: (value: string) => T): OptionSpec<T | undefined> {
  return spec((flag) => [new Option(`${flag} ${arg}`, help).argParser(parse)]);
}

/** A whole number of at least `min`; undefined when not given, unless there is a fallback. */
export function wholeNumber(arg: string, help: string, min: number): OptionSpec<number | undefined>;
export function wholeNumber(arg: string, help: string, min: number, fallback: number): OptionSpec<number>;
export function wholeNumber(arg: string, help: string, min: number, fallback?: number): OptionSpec<number | undefined> {
  return spec((flag) => {
    const o = new Option(`${flag} ${arg}`, help).argParser((v: string) => {
      if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${flag}: "${v}" is not a whole number of at least ${min}`);
      return Number(v);
    });
    return [fallback === undefined ? o : o.default(fallback)];
  });
}

/** An option that may be given more than once; every value, in order. */
export function repeated(arg: string, help: string, extra?: Extra): OptionSpec<string[] | undefined> {
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  return spec((flag) => [new Option(`${flag} ${arg}`, help).argParser(collect)], extra);
}

/** A switch: true when given, undefined when not. */
export function flag(help?: string, extra?: Extra): OptionSpec<boolean | undefined> {
  return spec((f) => [new Option(f, help)], extra);
}

/** `--x` and `--no-x`: true, false, or undefined when neither is given. */
export function toggle(onHelp: string, offHelp: string): OptionSpec<boolean | undefined> {
  return spec((f) => [new Option(f, onHelp), new Option(f.replace(/^--/, '--no-'), offHelp)]);
}

/** `--no-x` alone: false when given, true when not. */
export function negation(help: string): OptionSpec<boolean> {
  return spec((f) => [new Option(f.replace(/^--/, '--no-'), help)]);
}

/** The `--json` switch of a command that prints a result. */
export const json = flag('print JSON instead of text');

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Adds the table's options to `cmd`, in the table's order (the order --help shows). */
export function addOptions(cmd: Command, specs: OptionSpecs): Command {
  for (const [key, s] of Object.entries(specs)) {
    for (const o of s.build(flagOf(key))) {
      invariant(o.attributeName() === key, `option ${o.flags} is read as ${o.attributeName()}, not as its key ${key}`);
      cmd.addOption(o);
    }
  }
  return cmd;
}

/**
 * Which flag or argument the user typed for each contract field, so an error on `routes` says
 * `--route`. Arguments show as their name in capitals (NAME); the first option filling a field names it.
 */
export function flagsByField(cmd: Command, specs: OptionSpecs): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const a of cmd.registeredArguments) flags[a.name()] = a.name().toUpperCase();
  for (const [key, s] of Object.entries(specs)) flags[s.field ?? key] ??= flagOf(key);
  return flags;
}

/**
 * A procedure's input checked on this side by the contract's own schema, for options whose type
 * the contract narrows (`--mode` is a failover mode): bad input fails with the server's words.
 */
export function checked<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw fromZodError(r.error);
  return r.data;
}
