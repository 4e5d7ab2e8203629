// devices.search on a real SQLite file: pages in name order, what a query matches (part of the
// name, the start of the address or of the key), an offset past the end, and the status
// without its devices.
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk, failure } from '../../test/helpers/core.js';
import { addDevices } from '../../test/helpers/bulk-devices.js';
import type { Core } from '../system/system.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** Location big (a /20) with `n` devices named device-0000 …, addresses from 10.40.0.2 on. */
async function big(n: number): Promise<Core> {
  const { core } = coreOnDisk(cleanups);
  await core.invoke('locations.create', { name: 'big', network: '10.40.0.0/20', endpoint: 'vpn.example.com' });
  await addDevices(core, 'big', Array.from({ length: n }, (_, i) => `device-${String(i).padStart(4, '0')}`));
  return core;
}

const names = (r: { devices: { name: string }[] }) => r.devices.map((d) => d.name);

describe('devices.search', () => {
  test('pages in name order with the count of matches and of all devices', async () => {
    const core = await big(120);
    const first = await core.invoke('devices.search', { location: 'big' });
    expect(first).toMatchObject({ total: 120, all: 120, offset: 0 });
    expect(names(first)).toEqual(Array.from({ length: 50 }, (_, i) => `device-${String(i).padStart(4, '0')}`));
    expect(first.devices[0]).toMatchObject({ location: 'big', address: '10.40.0.2/32', enabled: true, latestHandshake: null, endpoint: null, gateway: null, session: null });
    const last = await core.invoke('devices.search', { location: 'big', offset: 100 });
    expect(names(last)).toEqual(Array.from({ length: 20 }, (_, i) => `device-${String(100 + i).padStart(4, '0')}`));
  });

  test('a query matches part of the name (either case), the start of the address, or the start of the key (exact case)', async () => {
    const core = await big(120);
    await core.invoke('devices.add', { location: 'big', name: "Anna's Laptop" });
    expect(names(await core.invoke('devices.search', { location: 'big', query: 'LAPTOP' }))).toEqual(["Anna's Laptop"]);
    expect(names(await core.invoke('devices.search', { location: 'big', query: 'ice-011' }))).toEqual(Array.from({ length: 10 }, (_, i) => `device-011${i}`));
    // "10.40.0.12" starts .12, .120, .121 and .122 (Anna's), not .112; in name order.
    const byAddress = await core.invoke('devices.search', { location: 'big', query: '10.40.0.12' });
    expect(byAddress.devices.map((d) => d.address)).toEqual(['10.40.0.122/32', '10.40.0.12/32', '10.40.0.120/32', '10.40.0.121/32']);
    const row = (await core.invoke('devices.search', { location: 'big', offset: 7, limit: 1 })).devices[0]!;
    const key = row.publicKey;
    expect(names(await core.invoke('devices.search', { location: 'big', query: key.slice(0, 10) }))).toEqual([row.name]);
    const flipped = key.slice(0, 10).replace(/[a-z]/, (c) => c.toUpperCase()).replace(/[A-Z]/, (c) => c.toLowerCase());
    if (flipped !== key.slice(0, 10)) expect((await core.invoke('devices.search', { location: 'big', query: flipped })).devices.map((d) => d.publicKey)).not.toContain(key);
    // LIKE's wildcards are plain characters here.
    expect(await core.invoke('devices.search', { location: 'big', query: '%' })).toMatchObject({ total: 0, all: 121, devices: [] });
    expect((await core.invoke('devices.search', { location: 'big', query: '_' })).total).toBe(0);
    expect((await core.invoke('devices.search', { location: 'big', query: "'" })).total).toBe(1);
  });

  test('an offset past the matches gives the last page; bad input names the field', async () => {
    const core = await big(120);
    expect(await core.invoke('devices.search', { location: 'big', query: 'device-00', offset: 150 })).toMatchObject({ total: 100, offset: 50 });
    expect(await core.invoke('devices.search', { location: 'big', query: 'nothing', offset: 50 })).toMatchObject({ total: 0, offset: 0, devices: [] });
    expect((await failure(core.invoke('devices.search', { location: 'big', limit: 501 }))).field).toBe('limit');
    expect((await failure(core.invoke('devices.search', { location: 'big', query: 'x'.repeat(101) }))).message).toBe('query: is too long; use at most 100 characters');
    expect(await failure(core.invoke('devices.search', { location: 'nowhere' }))).toMatchObject({ code: 'not_found', field: 'location' });
  });

  test('rows carry the state and the MFA session; locations.status can leave the devices out', async () => {
    const { core } = coreOnDisk(cleanups);
    await core.invoke('locations.create', { name: 'secure', network: '10.41.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 120 });
    await addDevices(core, 'secure', ['anna', 'ben']);
    const s = await core.invoke('sessions.start', { location: 'secure', device: 'anna' }, { actor: 'ui' });
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'ben', enabled: false });
    const rows = (await core.invoke('devices.search', { location: 'secure' })).devices;
    expect(rows.map((d) => [d.name, d.enabled, d.session?.id ?? null, d.session?.startedBy ?? null])).toEqual([['anna', true, s.id, 'ui'], ['ben', false, null, null]]);
    expect((await core.invoke('locations.status', { name: 'secure', devices: false })).devices).toEqual([]);
    expect((await core.invoke('locations.status', { name: 'secure' })).devices.map((d) => [d.name, d.session?.id ?? null])).toEqual([['anna', s.id], ['ben', null]]);
  });
});
