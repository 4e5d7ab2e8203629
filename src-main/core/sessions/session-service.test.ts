// MFA sessions on a real SQLite file: who may start one, what replaces and ends one, and what
// a gateway's idle report does.
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk, failure } from '../../../test/helpers/core.js';
import type { Core } from '../../system/system.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

async function mfaCore(): Promise<Core> {
  const { core } = coreOnDisk(cleanups);
  await core.invoke('locations.create', { name: 'secure', network: '10.5.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 120 });
  await core.invoke('locations.create', { name: 'open', network: '10.6.0.0/24', endpoint: 'vpn.example.com' });
  await core.invoke('devices.add', { location: 'secure', name: 'anna' });
  await core.invoke('devices.add', { location: 'open', name: 'ben' });
  return core;
}


const kinds = async (core: Core) => (await core.invoke('events.list', { limit: 1000 })).filter((e) => e.kind.startsWith('session.')).map((e) => `${e.kind}:${String(e.details.reason ?? e.details.session)}`);

describe('sessions', () => {
  test('start, replace and end; each is an event', async () => {
    const core = await mfaCore();
    const first = await core.invoke('sessions.start', { location: 'secure', device: 'anna' }, { actor: 'edge:edge1' });
    expect(first).toMatchObject({ location: 'secure', device: 'anna', startedBy: 'edge:edge1', endedAt: null, endReason: null });
    const second = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    expect(second.id).toBeGreaterThan(first.id);
    expect((await core.invoke('sessions.list', { location: 'secure' })).map((s) => s.id)).toEqual([second.id]);
    const ended = await core.invoke('sessions.end', { location: 'secure', device: 'anna' }, { actor: 'cli:root@ws' });
    expect(ended).toMatchObject({ id: second.id, endReason: 'ended', endedBy: 'cli:root@ws' });
    expect(await core.invoke('sessions.list', { location: 'secure' })).toEqual([]);
    const all = await core.invoke('sessions.list', { location: 'secure', all: true });
    expect(all.map((s) => [s.id, s.endReason])).toEqual([[second.id, 'ended'], [first.id, 'replaced']]);
    expect(await kinds(core)).toEqual([`session.started:${first.id}`, 'session.ended:replaced', `session.started:${second.id}`, 'session.ended:ended']);
  });

  test('bad requests name the field and the fix', async () => {
    const core = await mfaCore();
    const open = await failure(core.invoke('sessions.start', { location: 'open', device: 'ben' }));
    expect(open.field).toBe('location');
    expect(open.message).toMatch(/does not use MFA.*bulwark location set open --mfa/);
    const none = await failure(core.invoke('sessions.start', { location: 'secure', device: 'nobody' }));
    expect([none.code, none.field]).toEqual(['not_found', 'device']);
    const idle = await failure(core.invoke('sessions.end', { location: 'secure', device: 'anna' }));
    expect(idle.message).toMatch(/"anna" has no active session; see "bulwark session list --location secure"/);
  });

  test('removing the device or turning MFA off ends its sessions', async () => {
    const core = await mfaCore();
    await core.invoke('devices.add', { location: 'secure', name: 'carl' });
    await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    await core.invoke('sessions.start', { location: 'secure', device: 'carl' });
    await core.invoke('devices.remove', { location: 'secure', name: 'carl' });
    expect((await core.invoke('sessions.list', { location: 'secure' })).map((s) => s.device)).toEqual(['anna']);
    await core.invoke('locations.update', { name: 'secure', mfa: false });
    expect(await core.invoke('sessions.list', { location: 'secure' })).toEqual([]);
    expect((await kinds(core)).filter((k) => k.startsWith('session.ended'))).toEqual(['session.ended:device_removed', 'session.ended:mfa_disabled']);
  });

  test("a gateway's idle report ends the session, unless another gateway saw the peer active", async () => {
    const core = await mfaCore();
    const s = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    const publicKey = (await core.invoke('devices.list', { location: 'secure' }))[0]!.publicKey;
    const sessions = core.services.sessions;
    expect(sessions.expire('gw2', 'secure', [{ session: s.id, publicKey }], () => true)).toEqual({ kept: [s.id] });
    expect((await core.invoke('sessions.list', { location: 'secure' })).map((x) => x.id)).toEqual([s.id]);
    expect(sessions.expire('gw1', 'secure', [{ session: s.id, publicKey }], () => false)).toEqual({ kept: [] });
    const [ended] = await core.invoke('sessions.list', { location: 'secure', all: true });
    expect(ended).toMatchObject({ id: s.id, endReason: 'idle', endedBy: 'gateway:gw1' });
    // Reported again (the gateway resends until acknowledged): nothing changes twice.
    expect(sessions.expire('gw1', 'secure', [{ session: s.id, publicKey }], () => false)).toEqual({ kept: [] });
    // A report for a session that a newer one replaced leaves the newer one alone.
    const next = await core.invoke('sessions.start', { location: 'secure', device: 'anna' });
    sessions.expire('gw1', 'secure', [{ session: s.id, publicKey }], () => false);
    expect((await core.invoke('sessions.list', { location: 'secure' })).map((x) => x.id)).toEqual([next.id]);
    expect((await kinds(core)).filter((k) => k.startsWith('session.ended'))).toEqual(['session.ended:idle']);
  });
});
