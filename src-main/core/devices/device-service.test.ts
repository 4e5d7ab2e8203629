// Disabling and enabling a device on a real SQLite file: what is stored (across a restart of
// Core), what each change records, what a disabled device may still do (a new config) and may
// not (an MFA session).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk, failure } from '../../../test/helpers/core.js';
import { createCore } from '../../system/system.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('disable and enable a device', () => {
  test('the state is stored, listed, and kept across a restart; each change is one event with its actor, a repeat none', async () => {
    const key = randomBytes(32);
    const { core, dir } = coreOnDisk(cleanups, key);
    await core.invoke('locations.create', { name: 'hq', network: '10.7.0.0/24', endpoint: 'vpn.example.com' });
    const added = (await core.invoke('devices.add', { location: 'hq', name: 'laptop' })).device;
    expect(added.enabled).toBe(true);
    const off = await core.invoke('devices.setEnabled', { location: 'hq', name: 'laptop', enabled: false }, { actor: 'cli:root@ws' });
    // Key and address stay: only the state changes.
    expect(off).toEqual({ ...added, enabled: false });
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'laptop', enabled: false }, { actor: 'ui' });
    expect((await core.invoke('devices.list', { location: 'hq' })).map((d) => [d.name, d.enabled])).toEqual([['laptop', false]]);
    expect((await core.invoke('locations.status', { name: 'hq' })).devices.map((d) => [d.name, d.enabled])).toEqual([['laptop', false]]);

    // A Core on the same file (as after a restart) sees it disabled.
    core.close();
    const again = createCore({ dbFile: join(dir, 'bulwark.db'), masterKey: key });
    cleanups.unshift(() => again.close());
    expect((await again.invoke('devices.list', { location: 'hq' }))[0]!.enabled).toBe(false);
    await again.invoke('devices.setEnabled', { location: 'hq', name: 'laptop', enabled: true }, { actor: 'ui' });
    const events = (await again.invoke('events.list', { limit: 100 })).filter((e) => e.kind.startsWith('device.'));
    expect(events.map((e) => [e.kind, e.actor, e.subject])).toEqual([
      ['device.added', 'core', 'device:hq/laptop'],
      ['device.disabled', 'cli:root@ws', 'device:hq/laptop'],
      ['device.enabled', 'ui', 'device:hq/laptop'],
    ]);
    expect(events[1]!.details).toEqual({ location: 'hq', name: 'laptop', address: added.address, publicKey: added.publicKey });
  });

  test('an unknown device or location names the field and where to look', async () => {
    const { core } = coreOnDisk(cleanups);
    await core.invoke('locations.create', { name: 'hq', network: '10.7.0.0/24', endpoint: 'vpn.example.com' });
    const err = await failure(core.invoke('devices.setEnabled', { location: 'hq', name: 'ghost', enabled: false }));
    expect(err).toMatchObject({ code: 'not_found', field: 'name' });
    expect(err.message).toBe('name: location hq has no device named "ghost"; see "bulwark device list --location hq"');
    expect((await failure(core.invoke('devices.setEnabled', { location: 'nowhere', name: 'x', enabled: true }))).field).toBe('location');
  });

  test('MFA: disabling ends the session (device_disabled, by the actor); no session starts while disabled; enabled, one does', async () => {
    const { core } = coreOnDisk(cleanups);
    await core.invoke('locations.create', { name: 'secure', network: '10.8.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 120 });
    await core.invoke('devices.add', { location: 'secure', name: 'anna' });
    const s = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: false }, { actor: 'cli:root@ws' });
    expect(await core.invoke('sessions.list', { location: 'secure' })).toEqual([]);
    expect((await core.invoke('sessions.list', { location: 'secure', all: true }))[0]).toMatchObject({ id: s.id, endReason: 'device_disabled', endedBy: 'cli:root@ws' });
    const refused = await failure(core.invoke('sessions.start', { location: 'secure', device: 'anna' }, { actor: 'edge:e1' }));
    expect(refused).toMatchObject({ code: 'invalid_input', field: 'device' });
    expect(refused.message).toBe('device: device "anna" of location secure is disabled, so it cannot connect; enable it first with "bulwark device enable --location secure "anna""');
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: true });
    expect((await core.invoke('sessions.start', { location: 'secure', device: 'anna' })).id).toBeGreaterThan(s.id);
  });

  test('a disabled device gets a new config (which says it is disabled); the new key waits for enable', async () => {
    const { core } = coreOnDisk(cleanups);
    await core.invoke('locations.create', { name: 'hq', network: '10.7.0.0/24', endpoint: 'vpn.example.com' });
    const before = (await core.invoke('devices.add', { location: 'hq', name: 'lost' })).device;
    await core.invoke('devices.setEnabled', { location: 'hq', name: 'lost', enabled: false });
    const r = await core.invoke('devices.config', { location: 'hq', name: 'lost' });
    expect(r).toMatchObject({ containsPrivateKey: true, device: { name: 'lost', enabled: false, address: before.address } });
    expect(r.device.publicKey).not.toBe(before.publicKey);
    const [rekeyed] = (await core.invoke('events.list', { limit: 1, newest: true }));
    expect(rekeyed).toMatchObject({ kind: 'device.rekeyed', details: { previousKey: before.publicKey, publicKey: r.device.publicKey, enabled: false } });
    expect((await core.invoke('devices.config', { location: 'hq', name: 'lost', newKey: false })).device.enabled).toBe(false);
  });
});
