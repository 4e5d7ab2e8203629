// cli/: the `bulwark` command line, a client of the contract over HTTP (only serve and demo run
// Core in this process). Exit codes: 0 ok, 2 bad input, 1 other failure. Only src-main/bulwark.ts
// imports cli/, and only runCli; the nouns are in commands/, what they share beside this file.
import { Command } from 'commander';
import { GLOBAL_OPTIONS } from './client.js';
import { Cli } from './command.js';
import { NOUNS } from './commands/index.js';
import type { CliIo } from './io.js';
import { addOptions } from './options.js';
import { reportError } from './report-error.js';

function buildProgram(cli: Cli): Command {
  const program = addOptions(new Command('bulwark').description('Install and run a highly available WireGuard VPN on your own hosts.'), GLOBAL_OPTIONS)
    .configureOutput({ writeOut: cli.io.out, writeErr: cli.io.err })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const noun of NOUNS) noun.register(program, cli);
  return program;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const cli = new Cli(io, process.stdout.isTTY === true && process.env.TERM !== 'dumb');
  try {
    await buildProgram(cli).parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    return reportError(err, {}, io);
  }
}
