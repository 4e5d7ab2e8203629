// Failover with a floating IP on real hosts: two provisioned gateways run keepalived (as
// Bulwark's unit, with its generated config), a lab client sends pings through the tunnel
// every 0.1 s, and the master is powered off. The new master starts the handshakes itself, so
// traffic comes back without waiting for the client's 15 s re-handshake. keepalived also
// checks every golden keepalived.conf here (`keepalived -t`), and nginx every golden load
// balancer config (`nginx -t`), since the lab image has both.
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
  test('keepalived and nginx accept every golden config', async () => {
    await using lab = await Lab.create();
    await lab.boot('kt');
    // The golden files name these interfaces; keepalived -t wants them to exist.
    expect(lab.exec('kt', ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'ens3']).code).toBe(0);
    const dir = join(ROOT, 'src-main/config-gen/keepalived/testdata');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
      const r = lab.exec('kt', ['sh', '-c', 'printf "%s" "$1" > /tmp/k.conf && keepalived -t -f /tmp/k.conf 2>&1; echo "exit=$?"', 'sh', readFileSync(join(dir, f), 'utf8')]);
      expect(r.stdout, f).toMatch(/exit=0\s*$/);
    }
    // nginx binds what it listens on even for -t: the golden files' load balancer address,
    // on this host's loopback (inside its own network namespace).
    expect(lab.exec('kt', ['ip', 'addr', 'add', '198.51.100.20/32', 'dev', 'lo']).code).toBe(0);
    lab.exec('kt', ['mkdir', '-p', '/run/bulwark-balancer']); // the balancer unit's RuntimeDirectory
    const nginxDir = join(ROOT, 'src-main/config-gen/nginx/testdata');
    for (const f of readdirSync(nginxDir).filter((n) => n.endsWith('.conf'))) {
      const r = lab.exec('kt', ['sh', '-c', 'printf "%s" "$1" > /tmp/n.conf && nginx -t -c /tmp/n.conf 2>&1; echo "exit=$?"', 'sh', readFileSync(join(nginxDir, f), 'utf8')]);
      expect(r.stdout, f).toMatch(/test is successful[\s\S]*exit=0\s*$/);
    }
  });

  /** Two provisioned gateways with a floating IP, a client whose tunnel to it carries traffic. */
  async function floatingIpLab(lab: Lab, srv: Awaited<ReturnType<typeof startInProcess>>, flags: string[] = []) {
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

  test('unicast adverts (networks without multicast): the standby takes over when the master loses its link', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const { vip, settled, master } = await floatingIpLab(lab, srv, ['--unicast']);
    const other = master === 'gw1' ? 'gw2' : 'gw1';
    const conf = lab.exec(master, ['cat', '/etc/bulwark/keepalived.conf']).stdout;
    expect(conf).toMatch(/unicast_peer \{\s+[\d.]+\s+\}/);
    lab.exec('client', ['sh', '-c', `ping -D -i 0.1 -w 12 ${TUNNEL_GATEWAY} > /tmp/u.out 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 2000));
    const at = Date.now();
    lab.cutLink(master);
    // (Until Core notices the cut master is gone, it still reports that one.)
    await until('the standby to take the floating IP', async () => (await settled([other])) === other, 20_000);
    await until('the ping to finish', () => lab.exec('client', ['sh', '-c', 'grep -c "packet loss" /tmp/u.out || true']).stdout.trim() === '1', 30_000);
    const { gapMs, lastAt } = largestGap(lab.exec('client', ['cat', '/tmp/u.out']).stdout);
    console.log(`unicast, link cut on ${master}: largest gap ${gapMs.toFixed(0)} ms`);
    expect(lastAt).toBeGreaterThan(at + 8000);
    expect(lab.exec('client', ['wg', 'show', 'wg0', 'endpoints']).stdout).toContain(`${vip}:51820`);
    lab.cutLink(master, false);
    // Back on the link, the old master hears the new one's unicast adverts and stays backup.
    await new Promise((r) => setTimeout(r, 3000));
    await until('the link back: both gateways linked, one holder, still the new master', async () => (await settled(['gw1', 'gw2'])) === other, 20_000);
  }, 180_000);

  test('faults on the master: link cut, keepalived killed, freeze, agent killed, power off; traffic resumes each time', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const { cli, vip, settled, master: first } = await floatingIpLab(lab, srv);
    let master = first;
    const status = await cli('status', '--location', 'ha');
    expect(status.stdout).toMatch(new RegExp(`^${master}\\s.*MASTER, holds the floating IP`, 'm'));
    expect(status.stdout).toMatch(new RegExp(`^Floating IP ${vip.replace(/\./g, '\\.')}/27: held by ${master}$`, 'm'));

    const faults: { name: string; fault: (h: string) => void; recover: ((h: string) => void) | null }[] = [
      { name: 'link cut', fault: (h) => lab.cutLink(h), recover: (h) => lab.cutLink(h, false) },
      { name: 'keepalived SIGKILL', fault: (h) => void lab.exec(h, ['systemctl', 'kill', '-s', 'SIGKILL', 'bulwark-keepalived.service']), recover: null /* systemd restarts it */ },
      { name: 'freeze (SIGSTOP)', fault: (h) => lab.freeze(h), recover: (h) => lab.freeze(h, false) },
      { name: 'agent killed', fault: (h) => void lab.exec(h, ['systemctl', 'kill', '-s', 'SIGKILL', '--kill-whom=main', 'bulwark-gateway.service']), recover: null },
      // Last, with Core stopped first and the standby's agent restarted after that (so nothing
      // is in its memory): the standby takes over from the endpoints it kept on disk.
      { name: 'power off, Core down', fault: (h) => lab.powerOff(h), recover: null },
    ];
    for (const [i, f] of faults.entries()) {
      const other = master === 'gw1' ? 'gw2' : 'gw1';
      const out = `/tmp/fault-${i}.out`;
      lab.exec('client', ['sh', '-c', `ping -D -i 0.1 -w 24 ${TUNNEL_GATEWAY} > ${out} 2>&1 &`]);
      if (f.name.endsWith('Core down')) {
        await srv.running.stop();
        expect(lab.exec(other, ['systemctl', 'restart', 'bulwark-gateway.service']).code).toBe(0);
        await until(`the agent on ${other} back`, () => /^200/.test(lab.exec(other, ['/opt/bulwark/bin/node', '-e', "fetch('http://127.0.0.1:9461/healthz').then((r) => console.log(r.status), () => console.log('down'))"]).stdout), 10_000);
      }
      await new Promise((r) => setTimeout(r, 2000));
      const at = Date.now();
      f.fault(master);
      // The data plane of a gateway whose agent died keeps running, and it stays master. A
      // thawed master never left the MASTER state, so VRRP's tie-break (equal priorities: the
      // higher address) decides between it and the new one; its agent starts fresh handshakes.
      const expected = f.name === 'agent killed' ? [master] : f.name === 'freeze (SIGSTOP)' ? [master, other] : [other];
      await new Promise((r) => setTimeout(r, 6000));
      f.recover?.(master);
      const recoveredAt = Date.now();
      if (f.name.endsWith('Core down')) {
        // Without Core, the hosts say who holds it; then Core comes back and agrees.
        expect(lab.exec(other, ['ip', '-4', 'addr', 'show']).stdout).toContain(`inet ${vip}/`);
        await srv.restart();
      }
      const alive = f.name.startsWith('power off') ? [other] : ['gw1', 'gw2'];
      const holder = await until(`one holder after ${f.name}`, () => settled(alive), 30_000);
      expect(expected, f.name).toContain(holder);
      await until(`the ping of ${f.name} to finish`, () => lab.exec('client', ['sh', '-c', `grep -c "packet loss" ${out} || true`]).stdout.trim() === '1', 40_000);
      const pingOut = lab.exec('client', ['cat', out]).stdout;
      const { gapMs, lastAt, replies } = largestGap(pingOut);
      console.log(`${f.name} on ${master}: largest gap ${gapMs.toFixed(0)} ms, ${replies} replies of about 240; the floating IP is now on ${holder}`);
      // Traffic resumed after the fault and after the recovery, to the end of the window.
      expect(lastAt, f.name).toBeGreaterThan(at + 18_000);
      // The returning gateway does not break the traffic: after the recovery, replies keep
      // coming at the ping's rate (10 a second; at least 8 a second counted).
      const after = [...pingOut.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000).filter((t) => t > recoveredAt + 1000);
      const span = (lastAt - recoveredAt - 1000) / 1000;
      expect(after.length, `${f.name}: replies after the recovery`).toBeGreaterThanOrEqual(Math.floor(span * 8));
      for (const g of alive) expect(lab.exec(g, ['wg', 'show', 'bw-ha', 'peers']).stdout.trim().split('\n'), `${f.name}: peers on ${g}`).toHaveLength(1);
      // The laptop still dials the floating IP: the new master's handshakes came from it.
      expect(lab.exec('client', ['wg', 'show', 'wg0', 'endpoints']).stdout, f.name).toContain(`${vip}:51820`);
      master = holder;
    }
  }, 420_000);
});
