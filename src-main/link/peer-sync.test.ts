// What PeerSync sends a gateway, with a stand-in link (the real link and agent are in
// test/integration/device-disable.test.ts): a disabled device is in no full set and leaves in
// one change, comes back when enabled, and a new key for a disabled device reaches no gateway.
import { afterEach, describe, expect, test } from 'vitest';
import type { CoreMessage, CorePeers } from '../contract/index.js';
import { coreOnDisk } from '../../test/helpers/core.js';
import type { Core } from '../system/system.js';
import type { Link } from './link.js';
import type { LinkHub } from './link-hub.js';
import { PeerSync } from './peer-sync.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A Core with location `name` served by gateway gw1, and a PeerSync that talks to a stand-in link of gw1. */
async function withGateway(name: string, mfa = false): Promise<{ core: Core; sent: CorePeers[]; linkUp: () => void }> {
  const { core } = coreOnDisk(cleanups);
  await core.invoke('locations.create', { name, network: '10.9.0.0/24', endpoint: 'vpn.example.com', mfa, ...(mfa ? { disconnectThreshold: 120 } : {}) });
  await core.invoke('hosts.create', { name: 'gw1', ssh: 'root@192.0.2.10' });
  await core.invoke('gateways.add', { location: name, host: 'gw1' });
  const sent: CorePeers[] = [];
  const link = { target: { role: 'gateway', host: 'gw1' }, state: 'up', send: (m: CoreMessage) => m.type === 'peers' && sent.push(m) } as unknown as Link;
  let hello: (l: Link) => void = () => undefined;
  const hub = { onMessage: (type: string, fn: (l: Link) => void) => type === 'hello' && (hello = fn), all: () => [link] } as unknown as LinkHub;
  const sync = new PeerSync(hub, core.store, core.services.sessions);
  cleanups.push(core.store.onDidCommit((evs) => sync.committed(evs)));
  return { core, sent, linkUp: () => hello(link) };
}

const keys = (m: CorePeers) => m.upsert.map((p) => p.publicKey);

describe('peer sync and disabled devices', () => {
  test('disable removes the peer in one change, enable adds it back; a full set leaves a disabled device out', async () => {
    const { core, sent, linkUp } = await withGateway('hq');
    const a = (await core.invoke('devices.add', { location: 'hq', name: 'a' })).device;
    const b = (await core.invoke('devices.add', { location: 'hq', name: 'b' })).device;
    sent.length = 0;
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'a', enabled: false });
    expect(sent).toEqual([expect.objectContaining({ location: 'hq', full: false, upsert: [], remove: [a.publicKey] })]);
    // A link that comes up now (a restarted agent, a resync) gets b only.
    linkUp();
    expect(sent[1]).toMatchObject({ full: true });
    expect(keys(sent[1]!)).toEqual([b.publicKey]);
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'a', enabled: true });
    expect(sent[2]).toMatchObject({ full: false, upsert: [{ publicKey: a.publicKey, allowedIps: [a.address] }], remove: [] });
    linkUp();
    expect(keys(sent[3]!).sort()).toEqual([a.publicKey, b.publicKey].sort());
    // Asking again for the state it has sends nothing.
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'a', enabled: true });
    expect(sent).toHaveLength(4);
  });

  test('a new key for a disabled device removes nothing new and adds nothing; enabled, the new key is the peer', async () => {
    const { core, sent } = await withGateway('hq');
    const old = (await core.invoke('devices.add', { location: 'hq', name: 'lost' })).device;
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'lost', enabled: false });
    sent.length = 0;
    const fresh = (await core.invoke('devices.config', { location: 'hq', name: 'lost' })).device;
    expect(sent).toEqual([expect.objectContaining({ upsert: [], remove: [old.publicKey] })]);
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'lost', enabled: true });
    expect(keys(sent[1]!)).toEqual([fresh.publicKey]);
  });

  test('MFA: disabling drops the session peer; enabling waits for a new session', async () => {
    const { core, sent, linkUp } = await withGateway('secure', true);
    const d = (await core.invoke('devices.add', { location: 'secure', name: 'anna' })).device;
    const s = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    expect(sent.at(-1)).toMatchObject({ upsert: [{ publicKey: d.publicKey, session: s.id }] });
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: false });
    expect(sent.at(-1)).toMatchObject({ full: false, upsert: [], remove: [d.publicKey] });
    linkUp();
    expect(sent.at(-1)).toMatchObject({ full: true, upsert: [] });
    const count = sent.length;
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: true });
    expect(sent).toHaveLength(count);
    const again = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    expect(sent.at(-1)).toMatchObject({ upsert: [{ publicKey: d.publicKey, session: again.id }] });
  });
});
