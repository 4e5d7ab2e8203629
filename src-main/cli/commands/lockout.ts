// `bulwark lockout …`: devices and client addresses locked out after too many wrong codes.
import type { Command } from 'commander';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { json } from '../options.js';

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const lockout = program.command('lockout').description('devices and client addresses locked out after too many wrong codes or unknown links');

  cli.command(lockout, 'list', 'lockouts in force', { json }, async (o, cmd) => {
    const list = await client(cmd).call('lockouts.list', {});
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No lockouts in force.\n');
    io.out(table(['ID', 'KIND', 'WHO', 'FAILURES', 'UNTIL'], list.map((l) => [l.id, l.kind, l.subject, l.failures, l.until])));
  });

  cli.command(lockout, 'clear <id>', 'end a lockout early (after you made sure it was the user, not an attacker)', { json }, async (id, o, cmd) => {
    const l = await client(cmd).call('lockouts.clear', { id: /^[0-9]+$/.test(id) ? Number(id) : NaN });
    if (o.json) return cli.json(l);
    io.out(`Cleared lockout ${l.id} of ${l.kind} ${safe(l.subject)}\n`);
  });
}
