// The master key against the database, on a real SQLite file: a new database gets its check,
// another key is refused by name, and a database from before the check (its secrets already
// sealed) is tried against what it holds.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { tempDir } from '../../../test/helpers/server.js';
import { Store } from '../../store/db.js';
import { createCore } from '../../system/system.js';
import { checkMasterKey } from './key-check.js';
import { SecretBox } from './secret-box.js';

const tmp = tempDir('bulwark-key-check-');
afterAll(() => tmp[Symbol.dispose]());

const now = () => new Date('2026-12-06T00:00:00Z');
const WRONG = /data_dir_damaged|the secret key is not the one this database was made with/;

function withStore<T>(file: string, fn: (store: Store) => T): T {
  const store = Store.open(file, { now });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

describe('the master key check', () => {
  test('a Core started with another key is refused before it serves; with its own it starts again', async () => {
    const file = join(tmp.dir, 'a.db');
    const key = randomBytes(32);
    const core = createCore({ dbFile: file, masterKey: key });
    await core.start();
    await core.invoke('locations.create', { name: 'hq', network: '10.76.0.0/24', endpoint: 'vpn.example.com' });
    core.close();
    expect(() => createCore({ dbFile: file, masterKey: randomBytes(32) })).toThrow(/the secret key is not the one this database was made with/);
    const again = createCore({ dbFile: file, masterKey: key });
    try {
      await again.start();
      expect((await again.invoke('locations.get', { name: 'hq' })).name).toBe('hq');
    } finally {
      again.close();
    }
  });

  test('a database sealed before the check is tried against its CA key, then gets the check', () => {
    const file = join(tmp.dir, 'legacy.db');
    const key = new SecretBox(randomBytes(32));
    withStore(file, (store) =>
      store.write((tx) => tx.run("INSERT INTO ca (id, cert_pem, key_enc, created_at) VALUES (1, 'pem', ?, 'x')", key.seal('ca key', 'ca-private-key'))),
    );
    expect(() => withStore(file, (store) => checkMasterKey(store, new SecretBox(randomBytes(32)), now))).toThrow(WRONG);
    // The refusal wrote nothing: the right key still passes, and leaves its check behind.
    withStore(file, (store) => checkMasterKey(store, key, now));
    const checks = withStore(file, (store) => store.read((tx) => tx.all<{ name: string }>("SELECT name FROM core_secrets WHERE name = 'master-key-check'")));
    expect(checks).toHaveLength(1);
    expect(() => withStore(file, (store) => checkMasterKey(store, new SecretBox(randomBytes(32)), now))).toThrow(WRONG);
  });

  test('an empty database takes any key, once', () => {
    const file = join(tmp.dir, 'empty.db');
    const first = new SecretBox(randomBytes(32));
    withStore(file, (store) => checkMasterKey(store, first, now));
    withStore(file, (store) => checkMasterKey(store, first, now));
    expect(() => withStore(file, (store) => checkMasterKey(store, new SecretBox(randomBytes(32)), now))).toThrow(WRONG);
  });
});
