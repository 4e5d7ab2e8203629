// A vrrp location on real hosts, as the failover and rolling-apply tests need it: two
// provisioned gateways with a floating IP, and a lab client whose tunnel to it carries traffic.
// Also how those tests read a ping: the largest gap between replies.
import { expect } from 'vitest';
import { addressAt } from '../../src-main/net/ip.js';
import { until } from '../helpers/agent.js';
import { runCli, type InProcessServer } from '../helpers/server.js';
import type { Lab } from './scenario.js';

export const POOL = '10.79.0.0/24';
/** The gateways' address inside the tunnel: what the client pings. */
export const TUNNEL_GATEWAY = '10.79.0.1';

/** Largest interval between consecutive ping replies, from `ping -D` output (ms). */
export function largestGap(out: string): { gapMs: number; replies: number; lastAt: number } {
  const times = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
  let gapMs = 0;
  for (let i = 1; i < times.length; i++) gapMs = Math.max(gapMs, times[i]! - times[i - 1]!);
  return { gapMs, replies: times.length, lastAt: times.at(-1) ?? 0 };
}

/** Boots gw1, gw2 and client, makes location "ha" with a floating IP on the gateways, applies, and brings the client's tunnel up. */
export async function floatingIpLab(lab: Lab, srv: InProcessServer, flags: string[] = []) {
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
  const failover = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${lab.prefix.prefix}`, ...flags);
  expect(failover.code, failover.stderr).toBe(0);
  expect(failover.stdout).toMatch(new RegExp(`failover vrrp, floating IP ${vip.replace(/\./g, '\\.')}/27 \\(router id 1, adverts every 0\\.1 s${flags.includes('--unicast') ? ', unicast' : ''}\\)`));
  const apply = await cli('provision', 'apply');
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  expect(apply.stdout).toMatch(/start bulwark-keepalived\.service/);
  /** The one holder, once things settled: exactly one, no problem, every gateway that is up linked. */
  const settled = async (up: string[]) => {
    const st = await srv.client.call('locations.status', { name: 'ha' });
    const linked = st.gateways.filter((g) => g.link === 'up' && g.healthy).map((g) => g.host);
    return st.failover.holders.length === 1 && st.failover.problems.length === 0 && up.every((h) => linked.includes(h)) ? st.failover.holders[0]! : null;
  };
  const master = await until('one gateway to hold the floating IP', () => settled(['gw1', 'gw2']), 20_000);
  const device = await cli('device', 'add', '--location', 'ha', 'laptop');
  const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device.stdout]);
  expect(up.code, up.stderr).toBe(0);
  await until('traffic through the master', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', TUNNEL_GATEWAY]).code === 0, 15_000);
  await new Promise((r) => setTimeout(r, 3000)); // the standby learns where the laptop is (Core relays it)
  return { cli, vip, settled, master };
}
