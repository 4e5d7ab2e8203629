// Failover with a floating IP on real hosts: two provisioned gateways run keepalived (as
// Bulwark's unit, with its generated config), a lab client sends pings through the tunnel
// every 0.1 s, and the master is powered off. The new master starts the handshakes itself, so
// traffic comes back without waiting for the client's 15 s re-handshake. keepalived also
// checks every golden keepalived.conf here (`keepalived -t`), since the lab image has it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { addressAt } from '../../src-main/net/ip.js';
import { until } from '../helpers/agent.js';
import { ROOT, runCli, startInProcess } from '../helpers/server.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const POOL = '10.79.0.0/24';
const TUNNEL_GATEWAY = '10.79.0.1';

/** Largest interval between consecutive ping replies, from `ping -D` output (ms). */
function largestGap(out: string): { gapMs: number; replies: number; lastAt: number } {
  const times = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
  let gapMs = 0;
  for (let i = 1; i < times.length; i++) gapMs = Math.max(gapMs, times[i]! - times[i - 1]!);
  return { gapMs, replies: times.length, lastAt: times.at(-1) ?? 0 };
}

describe.skipIf(missing !== null)('failover with a floating IP', () => {
  test('keepalived accepts every golden config', async () => {
    await using lab = await Lab.create();
    await lab.boot('kt');
    // The golden files name these interfaces; keepalived -t wants them to exist.
    expect(lab.exec('kt', ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'ens3']).code).toBe(0);
    const dir = join(ROOT, 'src-main/config-gen/keepalived/testdata');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
      const r = lab.exec('kt', ['sh', '-c', 'printf "%s" "$1" > /tmp/k.conf && keepalived -t -f /tmp/k.conf 2>&1; echo "exit=$?"', 'sh', readFileSync(join(dir, f), 'utf8')]);
      expect(r.stdout, f).toMatch(/exit=0\s*$/);
    }
  });

  test('the master is powered off: the standby takes the floating IP and the traffic within a second or so', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [gw1, gw2] = await Promise.all([lab.boot('gw1'), lab.boot('gw2'), lab.boot('client')]);
    const vip = addressAt(lab.prefix, 25n);
    expect((await cli('location', 'add', 'ha', '--network', POOL, '--endpoint', `${vip}:51820`)).code).toBe(0);
    for (const h of [gw1!, gw2!]) {
      await srv.client.call('hosts.create', { name: h.name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
      const own = lab.exec(h.name, ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
      await srv.client.call('hosts.check', { name: h.name, accept: own });
      await srv.client.call('gateways.add', { location: 'ha', host: h.name });
    }
    const failover = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${lab.prefix.prefix}`);
    expect(failover.code, failover.stderr).toBe(0);
    expect(failover.stdout).toMatch(new RegExp(`failover vrrp, floating IP ${vip.replace(/\./g, '\\.')}/27 \\(router id 1, adverts every 0\\.1 s\\)`));
    const apply = await cli('provision', 'apply');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/start bulwark-keepalived\.service/);
    const holder = async () => {
      const st = await srv.client.call('locations.status', { name: 'ha' });
      return st.failover.holders.length === 1 && st.failover.problems.length === 0 ? st.failover.holders[0]! : null;
    };
    const master = await until('one gateway to hold the floating IP', holder, 20_000);
    const standby = master === 'gw1' ? 'gw2' : 'gw1';

    const device = await cli('device', 'add', '--location', 'ha', 'laptop');
    const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device.stdout]);
    expect(up.code, up.stderr).toBe(0);
    await until('traffic through the master', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', TUNNEL_GATEWAY]).code === 0, 15_000);
    // The standby learns where the laptop is (Core relays the master's view).
    await new Promise((r) => setTimeout(r, 3000));

    lab.exec('client', ['sh', '-c', `ping -D -i 0.1 -w 25 ${TUNNEL_GATEWAY} > /tmp/ha.out 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 3000));
    const failedAt = Date.now();
    lab.powerOff(master);
    await until('the standby to hold the floating IP', async () => (await holder()) === standby, 20_000);
    await until('the ping to finish', () => lab.exec('client', ['sh', '-c', 'grep -c "packet loss" /tmp/ha.out || true']).stdout.trim() === '1', 40_000);
    const out = lab.exec('client', ['cat', '/tmp/ha.out']).stdout;
    const { gapMs, lastAt } = largestGap(out);
    console.log(`power-off of ${master}: largest gap between replies ${gapMs.toFixed(0)} ms; ${out.trim().split('\n').slice(-2, -1)[0]}`);
    // Traffic resumed: replies keep coming well after the failure.
    expect(lastAt).toBeGreaterThan(failedAt + 10_000);
    const st = await srv.client.call('locations.status', { name: 'ha' });
    expect(st.failover).toMatchObject({ holders: [standby], problems: [] });
    // The laptop's endpoint for the location is still the floating IP (handshakes came from it).
    expect(lab.exec('client', ['wg', 'show', 'wg0', 'endpoints']).stdout).toContain(`${vip}:51820`);
  }, 240_000);
});
