// `bulwark invite …`: one-time enrollment links. The person opens the link, their browser makes
// the device's keys, and (in an MFA location) they set up an authenticator app.
import type { Command } from 'commander';
import type { Invite } from '../../contract/index.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { flag, json, required, text } from '../options.js';

const inviteRow = (i: Invite) => [i.id, i.location, i.device, i.state, i.expiresAt, i.createdBy];

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const invite = program.command('invite').description('one-time enrollment links: the user makes the device in a browser, the private key never leaves it');

  cli.command(
    invite,
    'create <name>',
    'make an invite for one device; prints the link (shown once)',
    { location: required('<name>'), expires: text('<duration>', 'how long the link works, e.g. 30m, 24h, 7d (default 24h)'), json },
    async (name, o, cmd) => {
      const r = await client(cmd).call('invites.create', { location: o.location, name, ...(o.expires !== undefined ? { expires: o.expires } : {}) });
      if (o.json) return cli.json(r);
      io.out(`Invite ${r.invite.id} for ${safe(r.invite.device)} in ${safe(r.invite.location)}, valid until ${r.invite.expiresAt}:\n\n  ${r.url}\n\n`);
      io.out('Send it to the person privately. It works once; Bulwark keeps only its hash, so it cannot be shown again ("bulwark invite revoke" withdraws it).\n');
    },
  );

  cli.command(invite, 'list', 'open invites (with --all, also used, expired and revoked ones)', { location: text('<name>'), all: flag('also used, expired and revoked invites (the newest 200)'), json }, async (o, cmd) => {
    const list = await client(cmd).call('invites.list', { ...(o.location !== undefined ? { location: o.location } : {}), all: o.all ?? false });
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out(`No ${o.all ? '' : 'open '}invites. Make one with "bulwark invite create --location L NAME".\n`);
    io.out(table(['ID', 'LOCATION', 'DEVICE', 'STATE', 'EXPIRES', 'BY'], list.map(inviteRow)));
  });

  cli.command(invite, 'revoke <id>', 'withdraw an open invite: its link stops working at once', { json }, async (id, o, cmd) => {
    const n = /^[0-9]+$/.test(id) ? Number(id) : NaN;
    const i = await client(cmd).call('invites.revoke', { id: n });
    if (o.json) return cli.json(i);
    io.out(`Revoked invite ${i.id} (${safe(i.device)} in ${safe(i.location)})\n`);
  });
}
