// `bulwark gateway …`: which hosts run WireGuard for a location.
import type { Command } from 'commander';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { json, required, text } from '../options.js';

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const gateway = program.command('gateway').description('hosts that run WireGuard for a location');
  const membership = { location: required('<name>'), host: required('<name>') };

  cli.command(gateway, 'add', 'make a host a gateway of a location', { ...membership, json }, async (o, cmd) => {
    const g = await client(cmd).call('gateways.add', { location: o.location, host: o.host });
    if (o.json) return cli.json(g);
    io.out(`Host ${safe(g.host)} is now a gateway of location ${safe(g.location)}\n`);
  });

  cli.command(gateway, 'list', 'list gateways', { location: text('<name>', 'only this location'), json }, async (o, cmd) => {
    const list = await client(cmd).call('gateways.list', o.location === undefined ? {} : { location: o.location });
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No gateways. Add one with "bulwark gateway add --location L --host H".\n');
    io.out(table(['LOCATION', 'HOST', 'SSH'], list.map((g) => [g.location, g.host, g.address])));
  });

  cli.command(gateway, 'remove', 'stop using a host as a gateway of a location', membership, async (o, cmd) => {
    await client(cmd).call('gateways.remove', { location: o.location, host: o.host });
    io.out(`Host ${safe(o.host)} is no longer a gateway of location ${safe(o.location)}\n`);
  });
}
