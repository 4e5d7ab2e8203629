// A location with a floating IP whose two gateways Core never reaches over SSH: bare lab hosts
// (no keepalived, no WireGuard tools) with sshd stopped. The admin gives their LAN and system
// by hand, exports the location's bundles with packages, and installs each from its file system.
// Core then links to both agents, one holds the floating IP, a device's traffic flows, and
// when the master is powered off the other takes over and the traffic comes back.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { addressAt } from '../../src-main/net/ip.js';
import { until } from '../helpers/agent.js';
import { runCli, startInProcess } from '../helpers/server.js';
import { carry, install } from './bundle-setup.js';
import { largestGap, POOL, TUNNEL_GATEWAY } from './floating-ip.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('offline bundles for a floating IP', () => {
  test('two gateways installed only from bundles hold a floating IP; the master powered off, traffic comes back', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const work = mkdtempSync(join(tmpdir(), 'bulwark-bundle-vrrp-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [gw1, gw2] = await Promise.all([lab.boot('gw1', { bare: true }), lab.boot('gw2', { bare: true }), lab.boot('client')]);
    const prefix = lab.prefix.prefix;
    const vip = addressAt(lab.prefix, 25n);
    // No SSH at all: Core could not reach these hosts if it tried.
    for (const h of ['gw1', 'gw2']) expect(lab.exec(h, ['systemctl', 'stop', 'ssh.service', 'ssh.socket']).code).toBe(0);

    expect((await cli('location', 'add', 'ha', '--network', POOL, '--endpoint', `${vip}:51820`)).code).toBe(0);
    for (const h of [gw1!, gw2!]) {
      expect((await cli('host', 'add', h.name, '--ssh', `root@${h.address}`)).code).toBe(0);
      expect((await cli('gateway', 'add', '--location', 'ha', '--host', h.name)).code).toBe(0);
    }
    // The floating IP needs each gateway's LAN, which only a host check would have seen.
    const early = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${prefix}`);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/has not seen gateway gw1's network yet/);
    for (const h of [gw1!, gw2!]) {
      const set = await cli('host', 'set', h.name, '--lan', `eth0=${h.address}/${prefix}`, '--os', 'debian-12', '--arch', 'x86_64');
      expect(set.code, set.stderr).toBe(0);
    }
    const failover = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${prefix}`);
    expect(failover.code, failover.stderr).toBe(0);

    // One export for the location: a bundle per gateway, each with its packages.
    const dir = join(work, 'bundles');
    const exported = await cli('bundle', 'export', '--location', 'ha', '--with-packages', '-o', dir);
    expect(exported.code, exported.stdout + exported.stderr).toBe(0);
    const key = /--expect-key (SHA256:\S+)/.exec(exported.stdout)![1]!;
    const archives = readdirSync(dir).sort();
    expect(archives).toEqual([expect.stringMatching(/^bulwark-gw1-[0-9a-f]{8}\.tar\.gz$/), expect.stringMatching(/^bulwark-gw2-[0-9a-f]{8}\.tar\.gz$/)]);
    for (const [i, h] of ['gw1', 'gw2'].entries()) {
      const file = join(dir, archives[i]!);
      const { install: installer } = carry(lab, h, { file, directory: archives[i]!.replace(/\.tar\.gz$/, '') }, 'b1');
      const r = install(lab, h, installer, ['--expect-key', key]);
      expect(r.code, `${h}: ${r.out}`).toBe(0);
      expect(r.out).toMatch(/installing .*keepalived.* from the bundle with apt-get/);
      expect(r.out).toMatch(new RegExp(`^${h}  installed: bundle \\S+ is installed`, 'm'));
      // keepalived runs Bulwark's config, with the floating IP on the interface given by hand.
      expect(lab.exec(h, ['cat', '/etc/bulwark/keepalived.conf']).stdout).toMatch(new RegExp(`interface eth0[\\s\\S]*${vip.replace(/\./g, '\\.')}/${prefix}`));
      expect(lab.exec(h, ['systemctl', 'is-active', 'bulwark-keepalived.service']).stdout.trim()).toBe('active');
    }

    // Core links to both agents (it dials them; it never used SSH), and one holds the floating IP.
    const settled = async (up: string[]) => {
      const st = await srv.client.call('locations.status', { name: 'ha' });
      const linked = st.gateways.filter((g) => g.link === 'up' && g.healthy).map((g) => g.host);
      return st.failover.holders.length === 1 && st.failover.problems.length === 0 && up.every((h) => linked.includes(h)) ? st.failover.holders[0]! : null;
    };
    const master = await until('both linked, one holder', () => settled(['gw1', 'gw2']), 45_000);
    const other = master === 'gw1' ? 'gw2' : 'gw1';
    for (const h of await srv.client.call('hosts.list', {})) {
      expect(h.hostKeyFingerprint, `${h.name} was never reached over SSH`).toBeNull();
      expect(h.agents).toMatchObject({ by: 'bundle' });
    }
    expect(lab.exec(master, ['ip', '-4', 'addr', 'show', 'eth0']).stdout).toContain(`inet ${vip}/${prefix}`);

    // A device's traffic flows to the floating IP, then the master is powered off.
    const device = await cli('device', 'add', '--location', 'ha', 'laptop');
    expect(device.code, device.stderr).toBe(0);
    const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device.stdout]);
    expect(up.code, up.stderr).toBe(0);
    await until('traffic through the master', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', TUNNEL_GATEWAY]).code === 0, 15_000);
    await new Promise((r) => setTimeout(r, 3000)); // the standby learns where the laptop is (Core relays it)
    lab.exec('client', ['sh', '-c', `ping -D -i 0.1 -w 16 ${TUNNEL_GATEWAY} > /tmp/p.out 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 2000));
    const at = Date.now();
    lab.powerOff(master);
    // (Until Core notices the master is gone, it still reports that one.)
    await until('the other gateway to hold the floating IP', async () => (await settled([other])) === other, 30_000);
    await until('the ping to finish', () => lab.exec('client', ['sh', '-c', 'grep -c "packet loss" /tmp/p.out || true']).stdout.trim() === '1', 30_000);
    const { gapMs, lastAt } = largestGap(lab.exec('client', ['cat', '/tmp/p.out']).stdout);
    console.log(`bundle-installed gateways, ${master} powered off: largest gap ${gapMs.toFixed(0)} ms`);
    // Traffic came back on the other gateway and kept flowing to the end of the window.
    expect(lastAt).toBeGreaterThan(at + 10_000);
    expect(lab.exec(other, ['ip', '-4', 'addr', 'show', 'eth0']).stdout).toContain(`inet ${vip}/${prefix}`);
  }, 420_000);
});
