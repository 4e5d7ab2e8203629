// Test data source: test/fixtures/db/bulwark-<version>.sql, databases written by released
// Bulwark versions. Each must open under today's migrations with every row intact.
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, tempDir } from '../../test/helpers/server.js';
import { createCore } from '../system/system.js';
import { wireGuardPublicKey } from '../core/keys/wireguard.js';
import { MIGRATIONS } from './migrations/index.js';

const dir = join(ROOT, 'test', 'fixtures', 'db');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.sql'));
/** The fixtures were sealed under this test-only master key. */
const FIXTURE_KEY = Buffer.alloc(32, 1);

describe('databases from earlier versions', () => {
  test('there is at least one fixture', () => expect(fixtures.length).toBeGreaterThanOrEqual(1));

  test.each(fixtures)('%s migrates and keeps its data', async (file) => {
    using tmp = tempDir();
    const dbFile = join(tmp.dir, 'bulwark.db');
    const raw = new Database(dbFile);
    // A dump lists tables alphabetically, children before parents: load it as sqlite3 would.
    raw.pragma('foreign_keys = OFF');
    raw.exec(readFileSync(join(dir, file), 'utf8'));
    raw.close();
    const core = createCore({ dbFile, masterKey: FIXTURE_KEY });
    try {
      expect(core.store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
      expect(core.store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(core.store.db.pragma('foreign_key_check')).toEqual([]);
      const locations = await core.invoke('locations.list', {});
      expect(locations.map((l) => [l.name, l.network, l.gatewayCount, l.deviceCount])).toEqual([
        ['hq', '10.10.0.0/24', 1, 1],
        ['lab6', 'fd00:10::/64', 0, 0],
      ]);
      const hq = locations[0]!;
      expect(wireGuardPublicKey(core.services.locations.privateKey('hq'))).toBe(hq.publicKey);
      expect((await core.invoke('hosts.get', { name: 'gw-1' })).roles).toEqual(['gateway:hq', 'edge']);
      expect((await core.invoke('events.list', {})).length).toBeGreaterThanOrEqual(8);
      // The address counter survived: the removed device's address (.3) is not reused.
      expect((await core.invoke('devices.add', { location: 'hq', name: 'new' })).device.address).toBe('10.10.0.4/32');
    } finally {
      core.close();
    }
  });

  test.each(fixtures)('%s: a device name stored decomposed ("Rene" and an accent) can be named again, and one that looked like another is kept apart', async (file) => {
    using tmp = tempDir();
    const dbFile = join(tmp.dir, 'bulwark.db');
    const raw = new Database(dbFile);
    raw.pragma('foreign_keys = OFF');
    raw.exec(readFileSync(join(dir, file), 'utf8'));
    const add = raw.prepare("INSERT INTO devices (location_id, name, public_key, host_index, address, created_at) VALUES (1, ?, ?, ?, ?, '2026-11-25T00:00:00.000Z')");
    add.run('Rene\u0301', wireGuardPublicKey(Buffer.alloc(32, 7).toString('base64')), 10, '10.10.0.10/32');
    add.run('Ren\u00E9', wireGuardPublicKey(Buffer.alloc(32, 8).toString('base64')), 11, '10.10.0.11/32');
    add.run('Zoe\u0308', wireGuardPublicKey(Buffer.alloc(32, 9).toString('base64')), 12, '10.10.0.12/32');
    raw.close();
    const core = createCore({ dbFile, masterKey: FIXTURE_KEY });
    try {
      const names = (await core.invoke('devices.list', { location: 'hq' })).map((d) => d.name).sort();
      const kept = names.filter((n) => /^Ren\u00E9 \(\d+\)$/.test(n));
      expect(kept).toHaveLength(1);
      expect(names).toEqual(["Anna's laptop", 'Ren\u00E9', kept[0], 'Zo\u00EB'].sort());
      // Typed either way, the name finds the device that was stored decomposed.
      expect(await core.invoke('devices.remove', { location: 'hq', name: 'Zoe\u0308' })).toBeTruthy();
      expect((await core.invoke('devices.list', { location: 'hq' })).map((d) => d.name)).not.toContain('Zo\u00EB');
    } finally {
      core.close();
    }
  });
});
