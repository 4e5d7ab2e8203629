// The one way Bulwark builds a remote shell command: every argument goes through shellQuote.
// POSIX single quotes keep everything literal except the quote itself, which is closed,
// escaped and reopened. Nothing is interpreted: not $(), backticks, globs, or line breaks.

/** Quotes one argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('invariant failed: a shell argument cannot hold a NUL byte');
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line from a program and its arguments, each quoted. */
export function shellCommand(program: string, ...args: string[]): string {
  return [program, ...args].map(shellQuote).join(' ');
}

/** Commands joined so that the first failure stops the rest. */
export function shellAnd(...commands: string[]): string {
  return commands.join(' && ');
}
