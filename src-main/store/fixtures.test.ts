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
});
