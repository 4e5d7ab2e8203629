// Failover with a floating IP on real hosts: two provisioned gateways run keepalived (as
// Bulwark's unit, with its generated config), a lab client sends pings through the tunnel
// every 0.1 s, and the master is powered off. The new master starts the handshakes itself, so
// traffic comes back without waiting for the client's 15 s re-handshake. keepalived also
// checks every golden keepalived.conf here (`keepalived -t`), and nginx every golden load
// balancer config (`nginx -t`), since the lab image has both.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { ROOT, startInProcess } from '../helpers/server.js';
import { floatingIpLab, largestGap, TUNNEL_GATEWAY } from './floating-ip.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);


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
