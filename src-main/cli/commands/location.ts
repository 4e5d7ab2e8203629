// `bulwark location …`: VPN networks, their failover and their load balancer.
import type { Command } from 'commander';
import { BulwarkError, LbConfigInput, LocationFailoverInput, type Location } from '../../contract/index.js';
import { formatEndpoint } from '../../net/endpoint.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { keyValues, safe, table } from '../format.js';
import { checked, flag, json, negation, parsed, repeated, required, text, toggle, wholeNumber, withDefault } from '../options.js';

function describeFailover(f: Location['failover']): string {
  if (f.mode === 'vrrp') return `vrrp, floating IP ${f.vip} (router id ${f.routerId}, adverts every ${f.advertInterval} s${f.unicast ? ', unicast' : ''}${f.interface ? `, on ${f.interface}` : ''})`;
  if (f.mode === 'lb') return `lb, UDP load balancer on ${f.lbHost} (failback ${f.lbFailback ?? 'auto'})`;
  return 'none';
}

const endpointOf = (l: Location) => formatEndpoint({ host: l.endpointHost, port: l.endpointPort });

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const location = program.command('location').description('VPN networks: their address pool, endpoint and gateways');

  const addOptions = {
    network: required('<cidr>', 'address pool for devices, e.g. 10.10.0.0/24'),
    endpoint: required('<host[:port]>', 'where clients connect (floating IP or load balancer in HA setups); port defaults to 51820'),
    mfa: flag('devices need a fresh MFA session before they connect'),
    disconnectThreshold: wholeNumber('<seconds>', 'MFA only: idle seconds before a gateway drops a peer (default 300, at least 60)', 1),
    route: repeated('<cidr>', 'a network behind the gateways that devices reach through the VPN (repeat for more)', { field: 'routes' }),
    json,
  };
  cli.command(location, 'add <name>', 'create a location with its own WireGuard key pair', addOptions, async (name, o, cmd) => {
    const loc = await client(cmd).call('locations.create', {
      name,
      network: o.network,
      endpoint: o.endpoint,
      routes: o.route ?? [],
      mfa: o.mfa ?? false,
      ...(o.disconnectThreshold === undefined ? {} : { disconnectThreshold: o.disconnectThreshold }),
    });
    if (o.json) return cli.json(loc);
    io.out(`Created location ${safe(loc.name)}: pool ${loc.network}, gateway ${loc.gatewayAddress}, endpoint ${endpointOf(loc)}, public key ${loc.publicKey}\n`);
  });

  cli.command(location, 'list', 'list locations', { json }, async (o, cmd) => {
    const list = await client(cmd).call('locations.list', {});
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No locations yet. Add one with "bulwark location add NAME --network CIDR --endpoint HOST".\n');
    io.out(table(['NAME', 'NETWORK', 'ENDPOINT', 'MFA', 'GATEWAYS', 'DEVICES'], list.map((l) => [l.name, l.network, endpointOf(l), l.mfa ? 'on' : 'off', l.gatewayCount, l.deviceCount])));
  });

  cli.command(location, 'show <name>', 'show one location', { json }, async (name, o, cmd) => {
    const c = client(cmd);
    const loc = await c.call('locations.get', { name });
    const gateways = await c.call('gateways.list', { location: loc.name });
    if (o.json) return cli.json({ ...loc, gateways });
    io.out(
      keyValues([
        ['Name', loc.name],
        ['Network', loc.network],
        ['Gateway address', loc.gatewayAddress],
        ['Endpoint', endpointOf(loc)],
        ['Routes', loc.routes.length ? loc.routes.join(', ') : 'none'],
        ['MFA', loc.mfa ? `on (peers dropped after ${loc.disconnectThreshold} s idle)` : 'off'],
        ['Failover', describeFailover(loc.failover)],
        ['Public key', loc.publicKey],
        ['Gateways', gateways.length === 0 ? 'none' : gateways.map((g) => g.host).join(', ')],
        ['Devices', loc.deviceCount],
        ['Created', loc.createdAt],
      ]),
    );
  });

  const setOptions = {
    endpoint: text('<host[:port]>', 'where clients connect'),
    mfa: toggle('require MFA', 'do not require MFA'),
    disconnectThreshold: wholeNumber('<seconds>', 'MFA only: idle seconds before a gateway drops a peer', 1),
    route: repeated('<cidr>', 'replace the routes with these (repeat for more)', { field: 'routes' }),
    routes: negation('remove every route'),
    yes: flag('confirm a change that cuts devices off (turning MFA on while the location has devices)'),
    json,
  };
  cli.command(location, 'set <name>', 'change a location: the endpoint and routes reach clients in new configs, MFA at once, a new port at the next apply', setOptions, async (name, o, cmd) => {
    const c = client(cmd);
    const before = await c.call('locations.get', { name });
    if (o.mfa === true && !before.mfa && before.deviceCount > 0 && !o.yes) {
      throw BulwarkError.field('mfa', `turning MFA on cuts off the ${before.deviceCount} devices of ${before.name} until each starts an MFA session (through the edge, or "bulwark session start"); run it again with --yes to go ahead`);
    }
    const loc = await c.call('locations.update', {
      name,
      ...(o.route !== undefined ? { routes: o.route } : o.routes === false ? { routes: [] } : {}),
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      ...(o.mfa === undefined ? {} : { mfa: o.mfa }),
      ...(o.disconnectThreshold === undefined ? {} : { disconnectThreshold: o.disconnectThreshold }),
    });
    if (o.json) return cli.json(loc);
    io.out(`Updated location ${safe(loc.name)}: endpoint ${endpointOf(loc)}, MFA ${loc.mfa ? `on (${loc.disconnectThreshold} s)` : 'off'}.\n`);
    const endpointMoved = endpointOf(loc) !== endpointOf(before);
    const routesMoved = loc.routes.join(',') !== before.routes.join(',');
    if ((endpointMoved || routesMoved) && loc.deviceCount > 0) {
      const devices = (await c.call('devices.list', { location: loc.name })).map((d) => d.name);
      const what = [endpointMoved ? `the old endpoint ${endpointOf(before)}` : null, routesMoved ? 'the old routes' : null].filter(Boolean).join(' and ');
      const shown = devices.slice(0, 10).map(safe).join(', ') + (devices.length > 10 ? ` and ${devices.length - 10} more` : '');
      io.err(
        `The client configs of its ${devices.length} devices name ${what}: each needs a new config (${shown}).\n` +
          `  bulwark device config --location ${safe(loc.name)} NAME              a new key pair and config (the old config stops working)\n` +
          `  bulwark device config --location ${safe(loc.name)} NAME --keep-key   the config for a device that keeps its own key\n`,
      );
    }
    if (loc.endpointPort !== before.endpointPort) io.out(`Its gateways listen on port ${loc.endpointPort} after the next apply: "bulwark provision plan --location ${safe(loc.name)}" shows it.\n`);
    if ((loc.mfa !== before.mfa || loc.disconnectThreshold !== before.disconnectThreshold) && loc.gatewayCount > 0) io.out('Its linked gateways have the MFA change now; nothing waits for an apply.\n');
  });

  const failoverOptions = {
    mode: required('<mode>', 'vrrp, lb or none'),
    vip: text('<address/prefix>', "vrrp: the floating IP with the LAN's prefix, e.g. 198.51.100.100/24"),
    interface: text('<name>', "vrrp: the LAN interface (default: each gateway's own, as host check saw it)"),
    advertInterval: parsed('<seconds>', 'vrrp: seconds between VRRP adverts, 0.01-255 (default 0.1)', (v) => (/^[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : NaN)),
    unicast: flag('vrrp: send adverts to the other gateways instead of multicast'),
    routerId: wholeNumber('<n>', 'vrrp: VRRP router id 1-255 (default: the lowest free one on that LAN)', 1),
    lbHost: text('<host>', 'lb: the host that runs the load balancer'),
    lbFailback: text('<policy>', 'lb: auto (a recovered gateway returns to rotation by itself; its former clients move back) or manual (it waits for "bulwark location lb-release")'),
    json,
  };
  cli.command(
    location,
    'failover <name>',
    'how the gateways share the clients: a floating IP (vrrp), a UDP load balancer (lb), or none; takes effect at the next "bulwark provision apply"',
    failoverOptions,
    async (name, o, cmd) => {
      if (o.advertInterval !== undefined && Number.isNaN(o.advertInterval)) throw BulwarkError.field('advertInterval', 'is not a number of seconds, such as 0.1');
      const c = client(cmd);
      const input = checked(LocationFailoverInput, {
        name,
        mode: o.mode,
        ...(o.vip === undefined ? {} : { vip: o.vip }),
        ...(o.interface === undefined ? {} : { interface: o.interface }),
        ...(o.advertInterval === undefined ? {} : { advertInterval: o.advertInterval }),
        ...(o.unicast === undefined ? {} : { unicast: true }),
        ...(o.routerId === undefined ? {} : { routerId: o.routerId }),
        ...(o.lbHost === undefined ? {} : { lbHost: o.lbHost }),
        ...(o.lbFailback === undefined ? {} : { lbFailback: o.lbFailback }),
      });
      const loc = await c.call('locations.setFailover', input);
      if (o.json) return cli.json(loc);
      io.out(`Location ${safe(loc.name)}: failover ${describeFailover(loc.failover)}. Run "bulwark provision plan --location ${safe(loc.name)}" to see what changes on its hosts.\n`);
    },
  );

  cli.command(
    location,
    'lb-config <name>',
    "an lb-mode location's load balancer configuration: nginx as Bulwark's balancer agent runs it, or Envoy to run yourself (docs/failover.md)",
    { format: withDefault('<format>', 'nginx or envoy', 'envoy'), json },
    async (name, o, cmd) => {
      const c = client(cmd);
      const r = await c.call('locations.lbConfig', checked(LbConfigInput, { name, format: o.format }));
      if (o.json) return cli.json(r);
      io.out(r.text);
    },
  );

  cli.command(
    location,
    'lb-release <name>',
    'lb mode with manual failback: put a gateway that passes its checks again back into rotation (its former clients move back to it, each re-handshaking once)',
    { gateway: required('<host>', 'the gateway to put back'), json },
    async (name, o, cmd) => {
      const st = await client(cmd).call('locations.lbRelease', { name, gateway: o.gateway });
      if (o.json) return cli.json(st);
      io.out(`${safe(o.gateway)} is back in the load balancer's rotation for ${safe(st.location)}.\n`);
    },
  );

  cli.command(location, 'remove <name>', 'remove a location that has no gateways and no devices', {}, async (name, _o, cmd) => {
    await client(cmd).call('locations.remove', { name });
    io.out(`Removed location ${safe(name)}\n`);
  });
}
