// MFA over the control link, between a real Core and two scripted gateways (real mutual TLS
// and WebSocket, certificates from Core's CA; the scripted side stands in for the agent's
// WireGuard, which the lab test test/lab/mfa.test.ts runs for real). What Core must do: send
// only peers with a session, with the session's id and the location's policy; relay one
// gateway's view of a peer to the other; and when a gateway reports an idle peer, end the
// session only if no other gateway saw it active, acknowledging either way.
import { describe, expect, test } from 'vitest';
import type { CoreMessage } from '../../src-main/contract/index.js';
import { until } from '../helpers/agent.js';
import { scriptedAgent as scriptedGateway, type Scripted } from '../helpers/scripted-agent.js';
import { startInProcess } from '../helpers/server.js';

const peersMessages = (s: Scripted) => s.got.filter((m): m is Extract<CoreMessage, { type: 'peers' }> => m.type === 'peers');

describe('MFA over the control link', () => {
  test('sessions become peers; activity is relayed; an idle report ends a session only when no gateway saw it', async () => {
    await using srv = await startInProcess({ link: { heartbeatMs: 100, downAfterMs: 2000, minBackoffMs: 50, maxBackoffMs: 200, statsMs: 500 } });
    await srv.client.call('locations.create', { name: 'secure', network: '10.91.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 120 });
    await srv.client.call('devices.add', { location: 'secure', name: 'anna' });
    await srv.client.call('devices.add', { location: 'secure', name: 'ben' });
    const key = async (device: string) => (await srv.client.call('devices.list', { location: 'secure' })).find((d) => d.name === device)!.publicKey;
    const ben = await srv.client.call('sessions.start', { location: 'secure', device: 'ben' });
    // Two gateways on loopback addresses of their own (the other link test uses 127.0.0.1).
    const a = await scriptedGateway(srv, 'gwa', '127.0.0.3');
    const b = await scriptedGateway(srv, 'gwb', '127.0.0.4');
    try {
      await srv.client.call('gateways.add', { location: 'secure', host: 'gwa' });
      await srv.client.call('gateways.add', { location: 'secure', host: 'gwb' });
      await until('both links up', async () => (await srv.client.call('links.list', {})).filter((l) => l.state === 'up').length === 2);

      // The full set: only ben, who has a session, with its id; and the location's policy.
      for (const g of [a, b]) {
        const full = await until('a full set', () => peersMessages(g).find((m) => m.full));
        expect(full.policy).toEqual({ mfa: true, disconnectThreshold: 120 });
        expect(full.upsert).toEqual([{ publicKey: await key('ben'), allowedIps: ['10.91.0.3/32'], session: ben.id }]);
      }
      // A session for anna reaches both gateways as an upsert with its id.
      const anna = await srv.client.call('sessions.start', { location: 'secure', device: 'anna' });
      const annaKey = await key('anna');
      for (const g of [a, b]) await until('anna as a peer', () => peersMessages(g).find((m) => !m.full && m.upsert.some((p) => p.publicKey === annaKey && p.session === anna.id)));

      // gwa carries anna: it reports her handshake; Core tells gwb where and when it saw her.
      const now = Math.floor(Date.now() / 1000);
      a.send({ type: 'stats', location: 'secure', at: new Date().toISOString(), full: true, summary: null, peers: [{ publicKey: annaKey, endpoint: '198.51.100.77:40000', latestHandshake: now, rxBytes: 100, txBytes: 50 }] });
      const relay = await until('the activity relayed to gwb', () => b.got.find((m) => m.type === 'activity'));
      expect(relay).toEqual({ type: 'activity', location: 'secure', peers: [{ publicKey: annaKey, endpoint: '198.51.100.77:40000', lastActivity: now }] });
      expect(a.got.some((m) => m.type === 'activity')).toBe(false);

      // gwb (which never saw her) expires anna: Core acknowledges, keeps the session (gwa saw
      // her moments ago) and gives gwb the peer back.
      const before = peersMessages(b).length;
      b.send({ type: 'expired', location: 'secure', sessions: [{ session: anna.id, publicKey: annaKey, lastActivity: 0, at: new Date().toISOString() }] });
      expect(await until('the ack to gwb', () => b.got.find((m) => m.type === 'expiredAck'))).toEqual({ type: 'expiredAck', location: 'secure', sessions: [anna.id] });
      const back = await until('anna given back to gwb', () => peersMessages(b).slice(before).find((m) => m.upsert.some((p) => p.publicKey === annaKey)));
      expect(back.upsert).toEqual([{ publicKey: annaKey, allowedIps: ['10.91.0.2/32'], session: anna.id }]);
      expect((await srv.client.call('sessions.list', { location: 'secure' })).map((s) => s.device).sort()).toEqual(['anna', 'ben']);

      // gwa expires ben, whom nobody saw: the session ends, both gateways drop the peer.
      a.send({ type: 'expired', location: 'secure', sessions: [{ session: ben.id, publicKey: await key('ben'), lastActivity: 0, at: new Date().toISOString() }] });
      await until('the ack to gwa', () => a.got.find((m) => m.type === 'expiredAck'));
      const benKey = await key('ben');
      for (const g of [a, b]) await until('ben removed', () => peersMessages(g).find((m) => m.remove.includes(benKey)));
      const ended = (await srv.client.call('sessions.list', { location: 'secure', all: true })).find((s) => s.id === ben.id);
      expect(ended).toMatchObject({ endReason: 'idle', endedBy: 'gateway:gwa' });
      const status = await srv.client.call('locations.status', { name: 'secure' });
      expect(status).toMatchObject({ mfa: true, disconnectThreshold: 120 });
      expect(status.devices.map((d) => [d.name, d.session?.id ?? null])).toEqual([['anna', anna.id], ['ben', null]]);

      // MFA turned off: every device becomes a peer without a session, in a full set.
      const fulls = peersMessages(a).filter((m) => m.full).length;
      await srv.client.call('locations.update', { name: 'secure', mfa: false });
      const open = await until('a new full set', () => peersMessages(a).filter((m) => m.full)[fulls]);
      expect(open.policy).toEqual({ mfa: false, disconnectThreshold: 120 });
      expect(open.upsert.map((p) => p.session)).toEqual([undefined, undefined]);
      expect(await srv.client.call('sessions.list', { location: 'secure' })).toEqual([]);

      // A new config for anna (a new key pair): both gateways drop her old key and take the new
      // one, at her address, in one message.
      const oldKey = await key('anna');
      const again = await srv.client.call('devices.config', { location: 'secure', name: 'anna' });
      expect(again.containsPrivateKey).toBe(true);
      expect(again.device.publicKey).not.toBe(oldKey);
      for (const g of [a, b]) {
        const swap = await until('the key swapped', () => peersMessages(g).find((m) => m.remove.includes(oldKey)));
        expect(swap).toMatchObject({ full: false, remove: [oldKey], upsert: [{ publicKey: again.device.publicKey, allowedIps: ['10.91.0.2/32'] }] });
      }
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
