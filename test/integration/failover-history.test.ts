// The failover history and drills between a real Core and scripted gateways (real mutual TLS
// links): what Core keeps of a takeover report, with the gateway that held the address before,
// and how a drill refuses or runs. The lab test (test/lab/topology.test.ts) runs real agents.
import { describe, expect, test } from 'vitest';
import type { AgentMessage } from '../../src-main/contract/index.js';
import { until } from '../helpers/agent.js';
import { scriptedVrrpLocation, type Scripted } from '../helpers/scripted-agent.js';
import { runCli, startInProcess, type InProcessServer } from '../helpers/server.js';

const LINK = { heartbeatMs: 100, downAfterMs: 2000, minBackoffMs: 50, maxBackoffMs: 200 };
const master = (holds: boolean) => ({ vrrp: [{ location: 'ha', role: holds ? ('MASTER' as const) : ('BACKUP' as const), holdsVip: holds }] });

async function vrrpLocation(srv: InProcessServer): Promise<{ a: Scripted; b: Scripted; keys: string[] }> {
  const { gwa: a, gwb: b } = await scriptedVrrpLocation(srv, 'ha', '10.94.0.0/24', '127.0.0.100', { gwa: '127.0.0.11', gwb: '127.0.0.12' });
  const keys: string[] = [];
  for (const name of ['laptop', 'phone']) keys.push((await srv.client.call('devices.add', { location: 'ha', name })).device.publicKey);
  a.beat = master(true);
  b.beat = master(false);
  await until('gwa holds the address', async () => (await srv.client.call('locations.status', { name: 'ha' })).failover.holders.join() === 'gwa');
  return { a, b, keys };
}

const report = (id: string, keys: string[], backMs: number[], missing: string[]): Extract<AgentMessage, { type: 'takeover' }> => ({
  type: 'takeover',
  id,
  location: 'ha',
  tookAt: new Date().toISOString(),
  addressAfterMs: 4,
  clients: keys.length,
  backMs,
  missing,
  unreachable: 1,
});

describe('failover history and drills', () => {
  test('a takeover report is kept once, with who held the address before and the clients not back by name, and acknowledged', async () => {
    await using srv = await startInProcess({ link: LINK });
    const { a, b, keys } = await vrrpLocation(srv);
    try {
      // gwa's first election (no holder before, no client to move) is acknowledged but is not a failover.
      a.send(report('first', [], [], []));
      await until('the first election acknowledged', async () => a.got.some((m) => m.type === 'takeoverAck' && m.ids.includes('first')));
      expect(await srv.client.call('failover.history', { location: 'ha' })).toEqual([]);
      // A gateway speaks only for its own vrrp locations: another location's report is dropped.
      await srv.client.call('locations.create', { name: 'elsewhere', network: '10.98.0.0/24', endpoint: '127.0.0.102:51820' });
      b.send({ ...report('stray', keys, [5], []), location: 'elsewhere' });
      await until('the stray report acknowledged', async () => b.got.some((m) => m.type === 'takeoverAck' && m.ids.includes('stray')));
      expect(await srv.client.call('failover.history', { location: 'elsewhere' })).toEqual([]);
      a.beat = master(false);
      b.beat = master(true);
      await until('gwb holds the address', async () => (await srv.client.call('locations.status', { name: 'ha' })).failover.holders.join() === 'gwb');
      const sent = report('t1', keys, [120, 480], [keys[1]!]);
      b.send(sent);
      await until('acknowledged', async () => b.got.some((m) => m.type === 'takeoverAck' && m.ids.includes('t1')));
      b.send(sent); // a resend (the acknowledgement crossed it): kept once
      await until('acknowledged twice', async () => b.got.filter((m) => m.type === 'takeoverAck').length === 2);

      const history = await srv.client.call('failover.history', { location: 'ha' });
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ gateway: 'gwb', previous: 'gwa', clients: 2, back: 2, medianMs: 120, slowestMs: 480, unreachable: 1, drill: false, missing: [{ publicKey: keys[1], device: 'phone' }] });
      const events = (await srv.client.call('events.list', { limit: 100, newest: true })).filter((e) => e.kind === 'failover.measured');
      expect(events).toHaveLength(1);

      const cli = await runCli(['--data-dir', srv.dataDir, 'failover', 'history', 'ha']);
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toMatch(/^\S+\s+gwa\s+gwb\s+2\s+2\s+120 ms\s+480 ms\s+480 ms\s+failover$/m);
      expect(cli.stdout).toMatch(/not back within 20 s: phone$/m);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a drill refuses while the standby cannot take over, and says why; otherwise it moves the address and returns the measurement', async () => {
    await using srv = await startInProcess({ link: LINK });
    const { a, b, keys } = await vrrpLocation(srv);
    try {
      b.beat = { ...master(false), healthy: false };
      await until('gwb unhealthy', async () => (await srv.client.call('locations.status', { name: 'ha' })).gateways.find((g) => g.host === 'gwb')?.healthy === false);
      const refused = await runCli(['--data-dir', srv.dataDir, 'failover', 'drill', 'ha']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/no standby of ha can take over, so a drill would cut its clients off: gwb: its WireGuard is not healthy/);
      expect(a.got.some((m) => m.type === 'drill')).toBe(false);

      b.beat = master(false);
      await until('gwb healthy', async () => (await srv.client.call('locations.status', { name: 'ha' })).gateways.find((g) => g.host === 'gwb')?.healthy === true);
      // The scripted master does what the real one does when told: gives the address up; the standby takes it and reports.
      const drill = srv.client.call('failover.drill', { location: 'ha', holdMs: 1000 });
      await until('the master is told', async () => a.got.some((m) => m.type === 'drill' && m.location === 'ha' && m.holdMs === 1000));
      a.beat = master(false);
      b.beat = master(true);
      await until('gwb holds the address', async () => (await srv.client.call('locations.status', { name: 'ha' })).failover.holders.join() === 'gwb');
      b.send(report('d1', keys, [90, 200], []));
      const done = await drill;
      expect(done).toMatchObject({ from: 'gwa', to: 'gwb', record: { drill: true, previous: 'gwa', back: 2, medianMs: 90, slowestMs: 200 } });
      const kinds = (await srv.client.call('events.list', { limit: 100, newest: true })).map((e) => e.kind).filter((k) => k.startsWith('failover.'));
      expect(kinds).toEqual(['failover.drill_started', 'failover.measured']);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
