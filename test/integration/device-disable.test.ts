// Disabling a device against a real gateway agent with real WireGuard (wireguard-go or the
// kernel's, in a network namespace of its own; test/helpers/netns-gateway.ts): the peer leaves
// the interface at once and comes back when enabled; a full set at link-up (an agent restarted
// while Core disabled another device, then Core itself restarted) leaves disabled devices out.
// How fast the peer goes is printed, not asserted: timing goals live in bench/.
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { netnsGatewayMissing, startNetnsGateway } from '../helpers/netns-gateway.js';
import { startInProcess, tempDir } from '../helpers/server.js';

const missing = netnsGatewayMissing();
if (missing && process.env.CI === 'true') throw new Error(`the real-gateway test cannot run: ${missing}`);
if (missing) console.warn(`SKIPPING the real-gateway test: ${missing}`);

describe.skipIf(missing !== null)('disable and enable a device on a real gateway', () => {
  test('the peer leaves WireGuard at once and comes back; full sets after restarts leave it out', async () => {
    await using srv = await startInProcess({ link: { heartbeatMs: 100, downAfterMs: 1500, minBackoffMs: 50, maxBackoffMs: 300 } });
    using tmp = tempDir();
    await srv.client.call('locations.create', { name: 'cutoff-it', network: '10.93.0.0/24', endpoint: 'vpn.example.com' });
    const a = (await srv.client.call('devices.add', { location: 'cutoff-it', name: 'a' })).device.publicKey;
    const b = (await srv.client.call('devices.add', { location: 'cutoff-it', name: 'b' })).device.publicKey;
    const gw = await startNetnsGateway(srv, { host: 'gw-dis', location: 'cutoff-it', dir: tmp.dir });
    const peers = () => gw.peers().sort();
    try {
      await until('both peers on the interface', () => peers().join() === [a, b].sort().join(), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; agent said:\n${gw.agent.output()}`);
      });

      // Disabled: gone from WireGuard, measured from the call's answer.
      const t0 = performance.now();
      await srv.client.call('devices.setEnabled', { location: 'cutoff-it', name: 'a', enabled: false });
      const answered = performance.now() - t0;
      await until('a removed', () => !gw.peers().includes(a), 5000);
      console.log(`disable: answered in ${answered.toFixed(1)} ms, peer gone from wg show ${(performance.now() - t0).toFixed(1)} ms after the call`);
      expect(peers()).toEqual([b]);

      // Enabled: back, at its address.
      const t1 = performance.now();
      await srv.client.call('devices.setEnabled', { location: 'cutoff-it', name: 'a', enabled: true });
      await until('a back', () => gw.peers().includes(a), 5000);
      console.log(`enable: peer back ${(performance.now() - t1).toFixed(1)} ms after the call`);

      // The agent is down while b is disabled: the full set at the next link-up removes b, which
      // the restarted agent had put back from its own state file.
      await gw.agent.stop();
      await until('the link down', async () => (await srv.client.call('links.list', {})).find((l) => l.host === 'gw-dis')?.state !== 'up', 5000);
      await srv.client.call('devices.setEnabled', { location: 'cutoff-it', name: 'b', enabled: false });
      expect(peers()).toEqual([a, b].sort());
      await gw.restart();
      await until('b removed by the full set', () => peers().join() === a, 20_000);

      // Core restarts: the stored state holds, and its full set to the relinked agent agrees.
      await srv.client.call('devices.setEnabled', { location: 'cutoff-it', name: 'a', enabled: false });
      await until('a removed', () => peers().length === 0, 5000);
      await srv.restart();
      await until('the link up again', async () => (await srv.client.call('links.list', {})).find((l) => l.host === 'gw-dis')?.state === 'up', 20_000);
      expect((await srv.client.call('devices.list', { location: 'cutoff-it' })).map((d) => [d.name, d.enabled])).toEqual([['a', false], ['b', false]]);
      await srv.client.call('devices.setEnabled', { location: 'cutoff-it', name: 'b', enabled: true });
      await until('b back', () => peers().join() === b, 5000);
      expect(peers()).toEqual([b]);
    } finally {
      await gw.close();
    }
  }, 90_000);
});
