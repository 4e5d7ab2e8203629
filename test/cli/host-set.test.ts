// `bulwark host set`: the LAN and platform of a host Core cannot reach over SSH, given by hand,
// with the built CLI against a real `bulwark serve` child process. A bad value names its flag; a
// gateway's LAN must keep its location's floating IP; a floating IP then goes on that LAN. (The lab's
// bundle test installs such a location's gateways and fails one over.)
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startChild, tempDir, type ChildServer } from '../helpers/server.js';

const tmp = tempDir('bulwark-cli-host-set-');
const dataDir = join(tmp.dir, 'data');
let server: ChildServer;
const cli = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);

beforeAll(async () => {
  server = await startChild(dataDir);
  expect((await cli('location', 'add', 'ha', '--network', '10.73.0.0/24', '--endpoint', '198.51.100.100')).code).toBe(0);
  for (const [h, a] of [['gw1', '198.51.100.11'], ['gw2', '198.51.100.12']]) {
    expect((await cli('host', 'add', h!, '--ssh', `root@${a}`)).code).toBe(0);
    expect((await cli('gateway', 'add', '--location', 'ha', '--host', h!)).code).toBe(0);
  }
});
afterAll(async () => {
  await server?.stop();
  tmp[Symbol.dispose]();
});

describe('bulwark host set', () => {
  test('bad values name their flag, and nothing is stored', async () => {
    const cases: [string[], RegExp][] = [
      [[], /^bulwark: --lan: give the LAN, the platform or both$/m],
      [['--lan', 'eth0'], /^bulwark: --lan: "eth0" has no "="; give INTERFACE=ADDRESS\/PREFIX/m],
      [['--lan', 'eth 0=198.51.100.11/24'], /^bulwark: --lan: is not an interface name/m],
      [['--lan', 'eth0=198.51.100.11'], /^bulwark: --lan: "198\.51\.100\.11" has no prefix length/m],
      [['--lan', 'eth0=2001:db8::1/64'], /^bulwark: --lan: "2001:db8::1\/64" is an IPv6 address/m],
      [['--os', 'debian-12'], /^bulwark: --arch: give --os and --arch together/m],
      [['--os', 'debian', '--arch', 'x86_64'], /^bulwark: --os: give it as ID-VERSION_ID/m],
      [['--os', 'debian-12', '--arch', 'x86-64'], /^bulwark: --arch: give it as uname -m prints it/m],
    ];
    for (const [args, message] of cases) {
      const r = await cli('host', 'set', 'gw1', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const shown = await cli('host', 'show', 'gw1');
    expect(shown.stdout).toMatch(/^LAN:\s+not seen yet \(run "bulwark host check", or "bulwark host set --lan"\)$/m);
    expect(shown.stdout).toMatch(/^System:\s+not seen yet/m);
  });

  test('set by hand: shown, one event per change, a floating IP on it; a LAN off the floating IP is refused', async () => {
    const noLan = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', '198.51.100.100/24');
    expect(noLan.code).toBe(2);
    expect(noLan.stderr).toMatch(/has not seen gateway gw1's network yet/);

    const r = await cli('host', 'set', 'gw1', '--lan', 'eth0=198.51.100.11/24', '--os', 'debian-12', '--arch', 'x86_64');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^LAN:\s+198\.51\.100\.11\/24 on eth0$/m);
    expect(r.stdout).toMatch(/^System:\s+debian-12, x86_64$/m);
    expect((await cli('host', 'set', 'gw2', '--lan', 'ens18=198.51.100.12/24')).code).toBe(0);
    // The same values again change nothing and record nothing.
    expect((await cli('host', 'set', 'gw1', '--lan', 'eth0=198.51.100.11/24')).code).toBe(0);
    const events = JSON.parse((await cli('events', '--json')).stdout) as { kind: string; subject: string; details: Record<string, unknown> }[];
    const updates = events.filter((e) => e.kind === 'host.updated');
    expect(updates.map((e) => e.subject).sort()).toEqual(['host:gw1', 'host:gw2']);
    expect(updates.find((e) => e.subject === 'host:gw1')!.details).toEqual({ lan: { from: null, to: '198.51.100.11/24 on eth0' }, platform: { from: null, to: 'debian-12 x86_64' } });

    const vrrp = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', '198.51.100.100/24');
    expect(vrrp.code, vrrp.stderr).toBe(0);
    // gw2's floating IP would be off its LAN: refused, and its LAN stays.
    const moved = await cli('host', 'set', 'gw2', '--lan', 'ens18=203.0.113.12/24');
    expect(moved.code).toBe(2);
    expect(moved.stderr).toMatch(/^bulwark: --lan: 203\.0\.113\.12\/24 is not on the LAN of location ha's floating IP 198\.51\.100\.100\/24; give an address in 198\.51\.100\.0\/24/m);
    const gw2 = JSON.parse((await cli('host', 'show', 'gw2', '--json')).stdout) as { lan: unknown };
    expect(gw2.lan).toEqual({ interface: 'ens18', address: '198.51.100.12/24' });
  });
});
