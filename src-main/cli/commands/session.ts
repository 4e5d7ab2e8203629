// `bulwark session …`: MFA sessions, without which a device of an MFA location stays disconnected.
import type { Command } from 'commander';
import type { Session } from '../../contract/index.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { flag, json, required } from '../options.js';

const sessionRow = (x: Session) => [x.id, x.device, x.startedAt, x.startedBy, x.endedAt ?? 'active', x.endReason, x.endedBy];

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const session = program.command('session').description('MFA sessions: in an MFA location a device is connected only while it has one');
  const location = required('<name>');

  cli.command(
    session,
    'start <device>',
    'authorise a device as if its user had passed MFA (the edge does this after MFA); replaces an active session',
    { location, json },
    async (device, o, cmd) => {
      const x = await client(cmd).call('sessions.start', { location: o.location, device });
      if (o.json) return cli.json(x);
      io.out(`Started session ${x.id} for ${safe(x.device)} in ${safe(x.location)}: its peer is on the gateways until it stays idle past the location's threshold or the session is ended.\n`);
    },
  );

  cli.command(session, 'end <device>', "end a device's session: its peer leaves the gateways at once", { location, json }, async (device, o, cmd) => {
    const x = await client(cmd).call('sessions.end', { location: o.location, device });
    if (o.json) return cli.json(x);
    io.out(`Ended session ${x.id} of ${safe(x.device)} in ${safe(x.location)}\n`);
  });

  cli.command(session, 'list', 'active sessions of a location', { location, all: flag('also ended ones (the newest 200)'), json }, async (o, cmd) => {
    const list = await client(cmd).call('sessions.list', { location: o.location, all: o.all ?? false });
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out(`No ${o.all ? '' : 'active '}sessions in ${safe(o.location)}.\n`);
    io.out(table(['ID', 'DEVICE', 'STARTED', 'BY', 'ENDED', 'WHY', 'ENDED BY'], list.map(sessionRow)));
  });
}
