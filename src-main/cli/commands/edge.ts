// `bulwark edge …`: which hosts serve the public HTTP side behind a load balancer.
import type { Command } from 'commander';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { json, required } from '../options.js';

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const edge = program.command('edge').description('stateless public HTTP services behind a load balancer');
  const host = required('<name>');

  cli.command(edge, 'add', 'make a host an edge', { host, json }, async (o, cmd) => {
    const e = await client(cmd).call('edges.add', { host: o.host });
    if (o.json) return cli.json(e);
    io.out(`Host ${safe(e.host)} is now an edge\n`);
  });

  cli.command(edge, 'list', 'list edges', { json }, async (o, cmd) => {
    const list = await client(cmd).call('edges.list', {});
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No edges. Add one with "bulwark edge add --host H".\n');
    io.out(table(['HOST', 'SSH'], list.map((e) => [e.host, e.address])));
  });

  cli.command(edge, 'remove', 'stop using a host as an edge', { host }, async (o, cmd) => {
    await client(cmd).call('edges.remove', { host: o.host });
    io.out(`Host ${safe(o.host)} is no longer an edge\n`);
  });
}
