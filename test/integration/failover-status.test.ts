// What Core makes of the agents' failover reports, between a real Core and scripted agents
// (real mutual TLS links; the scripted side holds states a real agent clears within seconds,
// such as two holders of a floating IP). The lab tests (test/lab/failover.test.ts and
// lb.test.ts) run the real agents through real faults.
import { describe, expect, test } from 'vitest';
import type { RotationEntry } from '../../src-main/contract/index.js';
import { until } from '../helpers/agent.js';
import { scriptedAgent, scriptedVrrpLocation } from '../helpers/scripted-agent.js';
import { runCli, startInProcess } from '../helpers/server.js';

const LINK = { heartbeatMs: 100, downAfterMs: 2000, minBackoffMs: 50, maxBackoffMs: 200 };

describe('failover status from the agents', () => {
  test('vrrp: two holders are a split brain, shown in status with what to check; one holder is not', async () => {
    await using srv = await startInProcess({ link: LINK });
    const { gwa: a, gwb: b } = await scriptedVrrpLocation(srv, 'ha', '10.92.0.0/24', '127.0.0.100', { gwa: '127.0.0.5', gwb: '127.0.0.6' });
    try {
      a.beat = { vrrp: [{ location: 'ha', role: 'MASTER', holdsVip: true }] };
      b.beat = { vrrp: [{ location: 'ha', role: 'BACKUP', holdsVip: false }] };
      await until('one holder', async () => (await srv.client.call('locations.status', { name: 'ha' })).failover.holders.join() === 'gwa');
      expect((await srv.client.call('locations.status', { name: 'ha' })).failover.problems).toEqual([]);

      b.beat = { vrrp: [{ location: 'ha', role: 'MASTER', holdsVip: true }] };
      await until('two holders', async () => (await srv.client.call('locations.status', { name: 'ha' })).failover.holders.length === 2);
      const cli = await runCli(['--data-dir', srv.dataDir, 'status', '--location', 'ha']);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/^Floating IP 127\.0\.0\.100\/8: held by gwa, gwb$/m);
      expect(cli.stdout).toMatch(/^PROBLEM: split brain: the floating IP 127\.0\.0\.100\/8 is on gwa and gwb at once; .*Check the link between them \(VRRP adverts\) and keepalived on each$/m);
      expect(cli.stdout).toMatch(/^gwb\s.*MASTER, holds the floating IP/m);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('lb: the balancer says who is in rotation; Core shows it, names the problem, and records each change as an event', async () => {
    await using srv = await startInProcess({ link: LINK });
    await srv.client.call('locations.create', { name: 'spread', network: '10.93.0.0/24', endpoint: '127.0.0.9:51820' });
    const gws = [await scriptedAgent(srv, 'gwa', '127.0.0.7'), await scriptedAgent(srv, 'gwb', '127.0.0.8')];
    const lb = await scriptedAgent(srv, 'lb1', '127.0.0.9', 'balancer');
    try {
      for (const g of ['gwa', 'gwb']) await srv.client.call('gateways.add', { location: 'spread', host: g });
      await srv.client.call('locations.setFailover', { name: 'spread', mode: 'lb', lbHost: 'lb1' });
      const view = (gwa: Partial<RotationEntry>) => ({
        nginx: { running: true, pid: 42, reloads: 0, error: null },
        locations: [
          {
            location: 'spread',
            gateways: [
              { host: 'gwa', inRotation: true, healthy: true, since: '2026-12-01T10:00:00.000Z', reason: null, ...gwa },
              { host: 'gwb', inRotation: true, healthy: true, since: '2026-12-01T10:00:00.000Z', reason: null },
            ],
          },
        ],
      });
      lb.beat = { balancer: view({}) };
      await until('the balancer linked, both in rotation', async () => {
        const st = await srv.client.call('locations.status', { name: 'spread' });
        return st.failover.balancer?.link === 'up' && st.gateways.every((g) => g.lb?.inRotation) && st.failover.problems.length === 0;
      });
      lb.beat = { balancer: view({ inRotation: false, healthy: false, since: '2026-12-01T10:05:00.000Z', reason: 'no answer within 800 ms (host down or unreachable?)' }) };
      await until('gwa out', async () => (await srv.client.call('locations.status', { name: 'spread' })).gateways.find((g) => g.host === 'gwa')?.lb?.inRotation === false);
      const cli = await runCli(['--data-dir', srv.dataDir, 'status', '--location', 'spread']);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/^Load balancer lb1: link up, nginx running$/m);
      expect(cli.stdout).toMatch(/^gwa\s.*OUT, check fails/m);
      expect(cli.stdout).toMatch(/^PROBLEM: gateway gwa is out of the load balancer's rotation since 2026-12-01T10:05:00\.000Z: no answer within 800 ms \(host down or unreachable\?\); its clients moved/m);

      lb.beat = { balancer: { ...view({}), nginx: { running: false, pid: null, reloads: 1, error: 'nginx did not start (exit code 1)' } } };
      await until('nginx down shown', async () => (await srv.client.call('locations.status', { name: 'spread' })).failover.problems.some((p) => p.startsWith('nginx is not running on the load balancer lb1: nginx did not start')));
      const kinds = (await srv.client.call('events.list', { limit: 1000, newest: true })).filter((e) => e.kind.startsWith('balancer.'));
      expect(kinds.map((e) => [e.kind, (e.details as { gateway?: string }).gateway ?? null])).toEqual([
        ['balancer.gateway_out', 'gwa'],
        ['balancer.gateway_in', 'gwa'],
        ['balancer.nginx_failed', null],
      ]);
      expect(kinds[0]!.details).toMatchObject({ location: 'spread', balancer: 'lb1', reason: 'no answer within 800 ms (host down or unreachable?)' });

      // nginx runs, but refused the newest rotation: said too, since it still sends to the old set.
      lb.beat = { balancer: { ...view({}), nginx: { running: true, pid: 43, reloads: 1, error: 'nginx did not start (exit code 1)' } } };
      await until('a refused reload shown', async () => (await srv.client.call('locations.status', { name: 'spread' })).failover.problems.some((p) => p.startsWith('the load balancer lb1 could not put its latest rotation into nginx')));

      // Manual failback: a gateway held out although healthy goes back when the admin says so.
      const auto = await runCli(['--data-dir', srv.dataDir, 'location', 'lb-release', 'spread', '--gateway', 'gwa']);
      expect([auto.code, auto.stderr.trim()]).toEqual([2, 'bulwark: NAME: location spread fails back by itself (failback auto): a gateway returns to rotation once it passes its checks']);
      await srv.client.call('locations.setFailover', { name: 'spread', mode: 'lb', lbHost: 'lb1', lbFailback: 'manual' });
      lb.beat = { balancer: view({ inRotation: false, healthy: false, reason: 'connection refused' }) };
      await until('gwa failing', async () => (await srv.client.call('locations.status', { name: 'spread' })).gateways[0]!.lb?.healthy === false);
      const failing = await runCli(['--data-dir', srv.dataDir, 'location', 'lb-release', 'spread', '--gateway', 'gwa']);
      expect(failing.stderr.trim()).toBe("bulwark: --gateway: gwa fails the load balancer's health check (connection refused); it can return once it passes");
      lb.beat = { balancer: view({ inRotation: false, healthy: true, reason: 'passes its checks again; stays out until released, since failback is manual: bulwark location lb-release spread --gateway gwa' }) };
      await until('gwa held', async () => (await srv.client.call('locations.status', { name: 'spread' })).gateways[0]!.lb?.healthy === true);
      const release = runCli(['--data-dir', srv.dataDir, 'location', 'lb-release', 'spread', '--gateway', 'gwa']);
      await until('the balancer told', () => lb.got.some((m) => m.type === 'release' && m.location === 'spread' && m.host === 'gwa'));
      lb.beat = { balancer: view({}) };
      const released = await release;
      expect([released.code, released.stdout]).toEqual([0, "gwa is back in the load balancer's rotation for spread.\n"]);
    } finally {
      for (const s of [...gws, lb]) await s.close();
    }
  });
});
