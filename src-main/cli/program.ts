// The `bulwark` command line: a client of the contract. Exit codes: 0 ok, 2 bad input, 1 other failure.
import { Command, InvalidArgumentError } from 'commander';
import { type Device, type Session } from '../contract/index.js';
import { connect, type ConnectOptions } from './connect.js';
import { shellQuote } from '../provision/ssh/quote.js';

import { safe, table } from './format.js';
import type { CliIo } from './io.js';
import { GLOBAL_OPTIONS } from './client.js';
import { Cli } from './command.js';
import { register as registerHost } from './commands/host.js';
import { register as registerProvision } from './commands/provision.js';
import { register as registerLocation } from './commands/location.js';
import { register as registerServe } from './commands/serve.js';
import { addOptions } from './options.js';
import { reportError } from './report-error.js';

function intArg(flag: string, min: number) {
  return (v: string) => {
    if (!/^[0-9]+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${flag}: "${v}" is not a whole number of at least ${min}`);
    return Number(v);
  };
}

type Action = (...args: unknown[]) => Promise<void>;

export function buildProgram(cli: Cli): { program: Command; exitCode: () => number } {
  const io = cli.io;
  const program = addOptions(new Command('bulwark').description('Install and run a highly available WireGuard VPN on your own hosts.'), GLOBAL_OPTIONS);
  program
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  let exitCode = 0;
  const client = (cmd: Command) => connect(cmd.optsWithGlobals() as ConnectOptions);
  /** Wraps an action: bad input exits 2 with the flag named, other failures exit 1. */
  const act = (flags: Record<string, string>, fn: (...args: unknown[]) => Promise<void>): Action =>
    async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (err) {
        exitCode = reportError(err, flags, io);
      }
    };
  const json = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`);
  const withJson = (c: Command) => c.option('--json', 'print JSON instead of text');

  registerServe(program, cli);

  registerLocation(program, cli);

  registerHost(program, cli);

  registerProvision(program, cli);

  const gateway = program.command('gateway').description('hosts that run WireGuard for a location');
  const gwFlags = { location: '--location', host: '--host' };
  withJson(gateway.command('add').description('make a host a gateway of a location').requiredOption('--location <name>').requiredOption('--host <name>')).action(
    act(gwFlags, async (o, cmd) => {
      const opts = o as { location: string; host: string; json?: boolean };
      const g = await client(cmd as Command).call('gateways.add', { location: opts.location, host: opts.host });
      if (opts.json) return json(g);
      io.out(`Host ${safe(g.host)} is now a gateway of location ${safe(g.location)}\n`);
    }),
  );
  withJson(gateway.command('list').description('list gateways').option('--location <name>', 'only this location')).action(
    act(gwFlags, async (o, cmd) => {
      const opts = o as { location?: string; json?: boolean };
      const list = await client(cmd as Command).call('gateways.list', opts.location === undefined ? {} : { location: opts.location });
      if (opts.json) return json(list);
      if (list.length === 0) return io.out('No gateways. Add one with "bulwark gateway add --location L --host H".\n');
      io.out(table(['LOCATION', 'HOST', 'SSH'], list.map((g) => [g.location, g.host, g.address])));
    }),
  );
  gateway
    .command('remove')
    .description('stop using a host as a gateway of a location')
    .requiredOption('--location <name>')
    .requiredOption('--host <name>')
    .action(
      act(gwFlags, async (o, cmd) => {
        const opts = o as { location: string; host: string };
        await client(cmd as Command).call('gateways.remove', { location: opts.location, host: opts.host });
        io.out(`Host ${safe(opts.host)} is no longer a gateway of location ${safe(opts.location)}\n`);
      }),
    );

  const edge = program.command('edge').description('stateless public HTTP services behind a load balancer');
  withJson(edge.command('add').description('make a host an edge').requiredOption('--host <name>')).action(
    act({ host: '--host' }, async (o, cmd) => {
      const opts = o as { host: string; json?: boolean };
      const e = await client(cmd as Command).call('edges.add', { host: opts.host });
      if (opts.json) return json(e);
      io.out(`Host ${safe(e.host)} is now an edge\n`);
    }),
  );
  withJson(edge.command('list').description('list edges')).action(
    act({}, async (o, cmd) => {
      const list = await client(cmd as Command).call('edges.list', {});
      if ((o as { json?: boolean }).json) return json(list);
      if (list.length === 0) return io.out('No edges. Add one with "bulwark edge add --host H".\n');
      io.out(table(['HOST', 'SSH'], list.map((e) => [e.host, e.address])));
    }),
  );
  edge
    .command('remove')
    .description('stop using a host as an edge')
    .requiredOption('--host <name>')
    .action(
      act({ host: '--host' }, async (o, cmd) => {
        await client(cmd as Command).call('edges.remove', { host: (o as { host: string }).host });
        io.out(`Host ${safe((o as { host: string }).host)} is no longer an edge\n`);
      }),
    );

  const device = program.command('device').description('WireGuard peers of a location');
  const devFlags = { location: '--location', name: 'NAME', publicKey: '--pubkey' };
  withJson(
    device
      .command('add <name>')
      .description('add a device; without --pubkey, prints its complete client config once')
      .requiredOption('--location <name>')
      .option('--pubkey <key>', "the device's own WireGuard public key (wg pubkey)"),
  ).action(
    act(devFlags, async (name, o, cmd) => {
      const opts = o as { location: string; pubkey?: string; json?: boolean };
      const r = await client(cmd as Command).call('devices.add', {
        location: opts.location,
        name: name as string,
        ...(opts.pubkey === undefined ? {} : { publicKey: opts.pubkey }),
      });
      if (opts.json) return json(r);
      const loc = await client(cmd as Command).call('locations.get', { name: r.device.location });
      io.err(
        `Added device ${safe(r.device.name)} to location ${safe(r.device.location)} with address ${r.device.address}.\n` +
          (loc.mfa ? `The location ${safe(loc.name)} uses MFA: the device connects once its user has passed MFA (or after "bulwark session start --location ${safe(loc.name)} ${safe(shellQuote(r.device.name))}").\n` : '') +
          (r.containsPrivateKey
            ? 'Its client config follows. Save it now: the private key is shown once and not stored anywhere.\n'
            : 'Its client config follows; put the private key that belongs to --pubkey in it.\n'),
      );
      io.out(r.clientConfig);
    }),
  );
  withJson(device.command('list').description('list the devices of a location').requiredOption('--location <name>')).action(
    act(devFlags, async (o, cmd) => {
      const opts = o as { location: string; json?: boolean };
      const list: Device[] = await client(cmd as Command).call('devices.list', { location: opts.location });
      if (opts.json) return json(list);
      if (list.length === 0) return io.out(`No devices in ${safe(opts.location)}. Add one with "bulwark device add --location ${safe(opts.location)} NAME".\n`);
      io.out(table(['NAME', 'ADDRESS', 'PUBLIC KEY', 'CREATED'], list.map((d) => [d.name, d.address, d.publicKey, d.createdAt])));
    }),
  );
  device
    .command('remove <name>')
    .description('remove a device from its location')
    .requiredOption('--location <name>')
    .action(
      act(devFlags, async (name, o, cmd) => {
        const opts = o as { location: string };
        await client(cmd as Command).call('devices.remove', { location: opts.location, name: name as string });
        io.out(`Removed device ${safe(name)} from location ${safe(opts.location)}\n`);
      }),
    );

  const session = program.command('session').description('MFA sessions: in an MFA location a device is connected only while it has one');
  const sessFlags = { location: '--location', device: 'DEVICE' };
  const sessionRow = (x: Session) => [x.id, x.device, x.startedAt, x.startedBy, x.endedAt ?? 'active', x.endReason, x.endedBy];
  withJson(
    session
      .command('start <device>')
      .description('authorise a device as if its user had passed MFA (the edge does this after MFA); replaces an active session')
      .requiredOption('--location <name>'),
  ).action(
    act(sessFlags, async (name, o, cmd) => {
      const opts = o as { location: string; json?: boolean };
      const x = await client(cmd as Command).call('sessions.start', { location: opts.location, device: name as string });
      if (opts.json) return json(x);
      io.out(`Started session ${x.id} for ${safe(x.device)} in ${safe(x.location)}: its peer is on the gateways until it stays idle past the location's threshold or the session is ended.\n`);
    }),
  );
  withJson(session.command('end <device>').description("end a device's session: its peer leaves the gateways at once").requiredOption('--location <name>')).action(
    act(sessFlags, async (name, o, cmd) => {
      const opts = o as { location: string; json?: boolean };
      const x = await client(cmd as Command).call('sessions.end', { location: opts.location, device: name as string });
      if (opts.json) return json(x);
      io.out(`Ended session ${x.id} of ${safe(x.device)} in ${safe(x.location)}\n`);
    }),
  );
  withJson(session.command('list').description('active sessions of a location').requiredOption('--location <name>').option('--all', 'also ended ones (the newest 200)')).action(
    act(sessFlags, async (o, cmd) => {
      const opts = o as { location: string; all?: boolean; json?: boolean };
      const list = await client(cmd as Command).call('sessions.list', { location: opts.location, all: opts.all ?? false });
      if (opts.json) return json(list);
      if (list.length === 0) return io.out(`No ${opts.all ? '' : 'active '}sessions in ${safe(opts.location)}.\n`);
      io.out(table(['ID', 'DEVICE', 'STARTED', 'BY', 'ENDED', 'WHY', 'ENDED BY'], list.map(sessionRow)));
    }),
  );

  withJson(
    program
      .command('status')
      .description("each agent's control link (state, since when, health, why it is down); with --location, its gateways and devices live")
      .option('--location <name>', "a location's gateways (link, health, WireGuard mode, peers) and devices (handshake, endpoint, traffic)"),
  ).action(
    act({ name: '--location' }, async (o, cmd) => {
      const opts = o as { json?: boolean; location?: string };
      if (opts.location !== undefined) {
        const st = await client(cmd as Command).call('locations.status', { name: opts.location });
        if (opts.json) return json(st);
        const health = (h: boolean | null) => (h === null ? '-' : h ? 'healthy' : 'UNHEALTHY');
        io.out(`Location ${safe(st.location)}${st.mfa ? ` (MFA: a device is connected only with a session; idle peers are dropped after ${st.disconnectThreshold} s)` : ''}\n\nGateways\n`);
        const vrrp = st.failover.mode === 'vrrp';
        const lb = st.failover.mode === 'lb';
        const rotation = (r: (typeof st.gateways)[number]['lb']) => (r === null ? '-' : `${r.inRotation ? 'in rotation' : 'OUT'}${r.healthy === false ? ', check fails' : ''}`);
        const gwHead = ['HOST', 'LINK', 'SINCE', 'HEALTH', 'WIREGUARD', 'PEERS', ...(vrrp ? ['VRRP'] : []), ...(lb ? ['LOAD BALANCER'] : []), 'WHY'];
        const gwRow = (g: (typeof st.gateways)[number]) => [
          g.host,
          g.link,
          g.since,
          health(g.healthy),
          g.wireguardMode,
          g.peers,
          ...(vrrp ? [g.vrrp ? `${g.vrrp.role ?? 'starting'}${g.vrrp.holdsVip ? ', holds the floating IP' : ''}` : '-'] : []),
          ...(lb ? [rotation(g.lb)] : []),
          g.reason,
        ];
        io.out(st.gateways.length === 0 ? '  none: add one with "bulwark gateway add"\n' : table(gwHead, st.gateways.map(gwRow)));
        if (vrrp) io.out(`\nFloating IP ${st.failover.vip}: ${st.failover.holders.length ? `held by ${st.failover.holders.join(', ')}` : 'held by no gateway'}\n`);
        const b = st.failover.balancer;
        if (b) io.out(`\nLoad balancer ${safe(b.host)}: link ${b.link}${b.nginxRunning === null ? '' : b.nginxRunning ? ', nginx running' : ', NGINX NOT RUNNING'}\n`);
        for (const p of st.failover.problems) io.out(`PROBLEM: ${safe(p)}\n`);
        const ago = (iso: string | null) => (iso === null ? 'never' : `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s ago`);
        const bytes = (n: number | null) => (n === null ? '-' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
        io.out(`\nDevices\n`);
        const head = ['NAME', 'ADDRESS', 'HANDSHAKE', 'ENDPOINT', 'RX', 'TX', 'VIA', ...(st.mfa ? ['SESSION'] : [])];
        const row = (d: (typeof st.devices)[number]) => [d.name, d.address, ago(d.latestHandshake), d.endpoint, bytes(d.rxBytes), bytes(d.txBytes), d.gateway, ...(st.mfa ? [d.session ? `${d.session.id} since ${d.session.startedAt}` : 'none (waiting for MFA)'] : [])];
        io.out(st.devices.length === 0 ? '  none\n' : table(head, st.devices.map(row)));
        if (st.gateways.some((g) => g.link !== 'up' || g.healthy === false) || st.failover.problems.length > 0) exitCode = 1;
        return;
      }
      const links = await client(cmd as Command).call('links.list', {});
      if (opts.json) return json(links);
      if (links.length === 0) return io.out('No agents yet: Core links with agents once their hosts are provisioned ("bulwark provision apply").\n');
      const health = (h: boolean | null) => (h === null ? '-' : h ? 'healthy' : 'UNHEALTHY');
      io.out(table(['AGENT', 'LINK', 'SINCE', 'HEALTH', 'VERSION', 'CERT UNTIL', 'BAD MSGS', 'WHY'], links.map((l) => [l.agent, l.state, l.since, health(l.healthy), l.agentVersion, l.certificate?.notAfter.slice(0, 10), l.badMessages, l.reason])));
      if (links.some((l) => l.state !== 'up')) exitCode = 1;
    }),
  );

  withJson(
    program
      .command('events')
      .description('show the audit trail; --follow streams new events')
      .option('--limit <n>', 'how many of the newest events to show', intArg('--limit', 1), 20)
      .option('--follow', 'keep streaming new events until interrupted'),
  ).action(
    act({ limit: '--limit' }, async (o, cmd) => {
      const opts = o as { limit: number; follow?: boolean; json?: boolean };
      const c = client(cmd as Command);
      const print = (e: { id: number; time: string; actor: string; kind: string; subject: string }) =>
        opts.json ? io.out(`${JSON.stringify(e)}\n`) : io.out(`${e.time}  ${safe(e.kind).padEnd(16)}  ${safe(e.subject)}  by ${safe(e.actor)}\n`);
      const list = await c.call('events.list', { limit: Math.min(opts.limit, 1000), newest: true });
      if (opts.json && !opts.follow) return json(list);
      list.forEach(print);
      if (!opts.follow) return;
      const sub = await c.subscribe((m) => m.type === 'event' && print(m.event), list.at(-1)?.id ?? 0);
      await sub.closed;
    }),
  );

  return { program, exitCode: () => exitCode };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const cli = new Cli(io, process.stdout.isTTY === true && process.env.TERM !== 'dumb');
  const { program, exitCode } = buildProgram(cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode() || cli.exitCode;
  } catch (err) {
    return reportError(err, {}, io);
  }
}
