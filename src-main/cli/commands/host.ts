// `bulwark host …`: the machines Bulwark reaches over SSH, their host keys, and taking Bulwark off them.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BulwarkError, type Host } from '../../contract/index.js';
import { formatEndpoint } from '../../net/endpoint.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { keyValues, safe, table } from '../format.js';
import { flag, json, required, text } from '../options.js';

const sshTarget = (h: Host) => `${h.sshUser}@${formatEndpoint({ host: h.sshAddress, port: h.sshPort })}`;
const authOf = (h: Host) => (h.auth.kind === 'key' ? h.auth.identityFile : 'ssh-agent');

function agentsText(h: Host): string {
  if (!h.agents) return 'not installed';
  if (h.agents.by === 'bundle') return `from an offline bundle exported ${h.agents.at}; in place once the host ran its installer (see "bulwark status")`;
  return `installed, last applied ${h.agents.at}${h.lastBundle && h.lastBundle > h.agents.at ? `; an offline bundle exported since, ${h.lastBundle}` : ''}`;
}

/** --lan eth0=198.51.100.11/24: the interface and its address (Core checks both). */
function lanOption(value: string): { interface: string; address: string } {
  const eq = value.indexOf('=');
  if (eq < 0) throw BulwarkError.field('lan', `"${value}" has no "="; give INTERFACE=ADDRESS/PREFIX, such as eth0=198.51.100.11/24`);
  return { interface: value.slice(0, eq), address: value.slice(eq + 1) };
}

/** "198.51.100.11/27 on eth0": the address a floating IP must share a prefix with. */
function lanText(lan: Host['lan']): string {
  return lan ? `${lan.address} on ${lan.interface}` : 'none found (no IPv4 address carries the SSH address or the default route)';
}

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const host = program.command('host').description('machines Bulwark reaches over SSH');

  const addOptions = {
    ssh: required('<user@address[:port]>', 'SSH destination, e.g. root@198.51.100.11'),
    identity: text('<file>', 'SSH private key (default: use the ssh-agent)', { field: 'identityFile' }),
    json,
  };
  cli.command(host, 'add <name>', 'register a host (nothing is run on it yet)', addOptions, async (name, o, cmd) => {
    const h = await client(cmd).call('hosts.create', {
      name,
      ssh: o.ssh,
      ...(o.identity === undefined ? {} : { identityFile: resolve(o.identity) }),
    });
    if (o.json) return cli.json(h);
    io.out(`Added host ${safe(h.name)} (${safe(sshTarget(h))}, ${h.auth.kind === 'key' ? `key ${safe(h.auth.identityFile)}` : 'ssh-agent'}); its host key is pinned at first contact\n`);
  });

  cli.command(host, 'list', 'list hosts', { json }, async (o, cmd) => {
    const list = await client(cmd).call('hosts.list', {});
    if (o.json) return cli.json(list);
    if (list.length === 0) return io.out('No hosts yet. Add one with "bulwark host add NAME --ssh USER@ADDRESS".\n');
    io.out(table(['NAME', 'SSH', 'AUTH', 'HOST KEY', 'ROLES'], list.map((h) => [h.name, sshTarget(h), authOf(h), h.hostKeyFingerprint ?? 'not pinned', h.roles.join(',') || '-'])));
  });

  cli.command(host, 'show <name>', 'show one host', { json }, async (name, o, cmd) => {
    const h = await client(cmd).call('hosts.get', { name });
    if (o.json) return cli.json(h);
    io.out(keyValues([['Name', h.name], ['SSH', sshTarget(h)], ['Auth', authOf(h)], ['Host key', h.hostKeyFingerprint ?? 'not pinned yet'], ['Roles', h.roles.join(', ') || 'none'], ['LAN', h.lan ? lanText(h.lan) : 'not seen yet (run "bulwark host check", or "bulwark host set --lan")'], ['System', h.platform ? `${h.platform.os}, ${h.platform.arch}` : 'not seen yet (run "bulwark host check", or "bulwark host set" for a host Core cannot reach)'], ['Agents', agentsText(h)], ['Created', h.createdAt]]));
  });

  const setOptions = {
    lan: text('<interface=address/prefix>', 'its LAN as a host check would see it, such as eth0=198.51.100.11/24 (where a floating IP goes)'),
    os: text('<id-version>', 'its OS release (ID-VERSION_ID of /etc/os-release), such as debian-12', { field: 'platform.os' }),
    arch: text('<arch>', 'its architecture (uname -m), such as x86_64', { field: 'platform.arch' }),
    json,
  };
  const setHelp = 'give the facts a host check would find, for a host Core cannot reach over SSH (installed from offline bundles); a later host check replaces them';
  cli.command(host, 'set <name>', setHelp, setOptions, async (name, o, cmd) => {
    if ((o.os === undefined) !== (o.arch === undefined)) throw BulwarkError.field(o.os === undefined ? 'platform.os' : 'platform.arch', 'give --os and --arch together, such as --os debian-12 --arch x86_64');
    const h = await client(cmd).call('hosts.update', {
      name,
      ...(o.lan === undefined ? {} : { lan: lanOption(o.lan) }),
      ...(o.os === undefined || o.arch === undefined ? {} : { platform: { os: o.os, arch: o.arch } }),
    });
    if (o.json) return cli.json(h);
    io.out(keyValues([['Host', h.name], ['LAN', h.lan ? lanText(h.lan) : 'not set'], ['System', h.platform ? `${h.platform.os}, ${h.platform.arch}` : 'not set']]));
  });

  const checkOptions = {
    accept: text('<fingerprint>', 'pin this SHA256 fingerprint (it must be the one the host presents)'),
    repin: flag('replace a pinned key after a deliberate reinstall (with --accept)'),
    json,
  };
  cli.command(host, 'check <name>', "connect, show the host key's fingerprint, OS, architecture and privileges; --accept pins the key", checkOptions, async (name, o, cmd) => {
    const r = await client(cmd).call('hosts.check', { name, ...(o.accept === undefined ? {} : { accept: o.accept }), repin: o.repin ?? false });
    if (o.json) return cli.json(r);
    io.out(keyValues([['Host', r.host.name], ['SSH', sshTarget(r.host)], ['Host key', r.fingerprint], ['OS', r.facts.os], ['Architecture', r.facts.arch], ['Privileges', r.facts.privileges], ['LAN', lanText(r.facts.lan)]]));
    io.out(
      r.pinned
        ? `The host key is pinned; a different key will stop every operation on ${safe(r.host.name)}.\n`
        : `The host key is not pinned yet. Compare it with the host's console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then run:\n  bulwark host check ${safe(r.host.name)} --accept ${r.fingerprint}\n`,
    );
  });

  const removeOptions = { force: flag("forget it even though Bulwark's agents are still installed (a machine that is gone)") };
  cli.command(host, 'remove <name>', 'forget a host that is no gateway or edge (run "host uninstall" first if Bulwark installed on it)', removeOptions, async (name, o, cmd) => {
    await client(cmd).call('hosts.remove', { name, force: o.force ?? false });
    io.out(`Removed host ${safe(name)}\n`);
  });

  cli.command(host, 'uninstall <name>', "stop Bulwark's agents on a host and remove every file Bulwark put there", { json }, async (name, o, cmd) => {
    const r = await client(cmd).call('hosts.uninstall', { name });
    if (o.json) return cli.json(r);
    const out =
      r.units.length === 0 && r.removed.length === 0
        ? [`Nothing of Bulwark's was on ${safe(r.host)}.`]
        : [`Stopped and disabled on ${safe(r.host)}: ${r.units.map(safe).join(', ') || 'no units'}`, 'Removed:', ...r.removed.map((p) => `  ${safe(p)}`)];
    if (r.rolesRemoved.length) out.push(`${safe(r.host)} is no longer ${r.rolesRemoved.map(safe).join(', ')}: the next plan leaves it alone.`);
    for (const k of r.rolesKept) out.push(`Still ${safe(k.role)}: ${safe(k.message)}.`);
    io.out(`${out.join('\n')}\n`);
  });
}
