// `bulwark device …`: the WireGuard peers of a location, the client config of a new one, and
// disabling one (it stays, with its key and address, but cannot connect) and enabling it again.
import type { Command } from 'commander';
import { shellQuote } from '../../provision/ssh/quote.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { flag, json, required, text } from '../options.js';

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const device = program.command('device').description('WireGuard peers of a location');
  const location = required('<name>');

  const addOptions = { location, pubkey: text('<key>', "the device's own WireGuard public key (wg pubkey)", { field: 'publicKey' }), json };
  cli.command(device, 'add <name>', 'add a device; without --pubkey, prints its complete client config once', addOptions, async (name, o, cmd) => {
    const c = client(cmd);
    const r = await c.call('devices.add', { location: o.location, name, ...(o.pubkey === undefined ? {} : { publicKey: o.pubkey }) });
    if (o.json) return cli.json(r);
    const loc = await c.call('locations.get', { name: r.device.location });
    io.err(
      `Added device ${safe(r.device.name)} to location ${safe(r.device.location)} with address ${r.device.address}.\n` +
        (loc.mfa ? `The location ${safe(loc.name)} uses MFA: the device connects once its user has passed MFA (or after "bulwark session start --location ${safe(loc.name)} ${safe(shellQuote(r.device.name))}").\n` : '') +
        (r.containsPrivateKey
          ? 'Its client config follows. Save it now: the private key is shown once and not stored anywhere.\n'
          : 'Its client config follows; put the private key that belongs to --pubkey in it.\n'),
    );
    io.out(r.clientConfig);
  });

  cli.command(device, 'list', 'list the devices of a location', { location, json }, async (o, cmd) => {
    const list = await client(cmd).call('devices.list', { location: o.location });
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out(`No devices in ${safe(o.location)}. Add one with "bulwark device add --location ${safe(o.location)} NAME".\n`);
    io.out(table(['NAME', 'ADDRESS', 'STATE', 'PUBLIC KEY', 'CREATED'], list.map((d) => [d.name, d.address, d.enabled ? 'enabled' : 'DISABLED', d.publicKey, d.createdAt])));
  });

  const configOptions = { location, keepKey: flag("no new key: the config for a device that made its own key, with a line for it"), json };
  cli.command(device, 'config <name>', "a device's client config again: a new key pair (its old config stops working), or with --keep-key the config for its own key", configOptions, async (name, o, cmd) => {
    const r = await client(cmd).call('devices.config', { location: o.location, name, newKey: !o.keepKey });
    if (o.json) return cli.json(r);
    io.err(
      r.containsPrivateKey
        ? `New key pair for device ${safe(r.device.name)} of ${safe(r.device.location)}: its old config no longer connects. Its client config follows; save it now, the private key is shown once and not stored.\n`
        : `The client config of device ${safe(r.device.name)} of ${safe(r.device.location)} follows; put its own private key in it.\n`,
    );
    if (!r.device.enabled) io.err(`Device ${safe(r.device.name)} is disabled: this config connects only once it is enabled ("bulwark device enable --location ${safe(r.device.location)} ${safe(shellQuote(r.device.name))}").\n`);
    io.out(r.clientConfig);
  });

  cli.command(device, 'disable <name>', 'cut a device off at once: its peer leaves every gateway of the location and its MFA session ends; it keeps its key and address', { location }, async (name, o, cmd) => {
    const d = await client(cmd).call('devices.setEnabled', { location: o.location, name, enabled: false });
    io.out(`Device ${safe(d.name)} of location ${safe(d.location)} is disabled: it is no peer on the location's gateways and cannot connect. It keeps its key and address; "bulwark device enable --location ${safe(d.location)} ${safe(shellQuote(d.name))}" lets it back.\n`);
  });

  cli.command(device, 'enable <name>', 'let a disabled device connect again: its peer is back on every gateway of the location', { location }, async (name, o, cmd) => {
    const c = client(cmd);
    const d = await c.call('devices.setEnabled', { location: o.location, name, enabled: true });
    const loc = await c.call('locations.get', { name: d.location });
    io.out(
      loc.mfa
        ? `Device ${safe(d.name)} of location ${safe(d.location)} is enabled: it connects once its user passes MFA (or after "bulwark session start --location ${safe(d.location)} ${safe(shellQuote(d.name))}").\n`
        : `Device ${safe(d.name)} of location ${safe(d.location)} is enabled: its peer is back on the location's gateways.\n`,
    );
  });

  cli.command(device, 'remove <name>', 'remove a device from its location', { location }, async (name, o, cmd) => {
    await client(cmd).call('devices.remove', { location: o.location, name });
    io.out(`Removed device ${safe(name)} from location ${safe(o.location)}\n`);
  });
}
