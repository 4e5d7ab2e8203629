// The store on a real SQLite file: migrations from empty, the append-only audit trail and
// all-or-nothing writes.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '../../test/helpers/server.js';
import { Store } from './db.js';
import { MIGRATIONS } from './migrations/index.js';

const opts = { now: () => new Date('2026-01-01T00:00:00Z'), actor: () => 'test' };
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function openTemp(): { store: Store; file: string } {
  const t = tempDir();
  const file = join(t.dir, 'bulwark.db');
  const store = Store.open(file, opts);
  cleanups.push(() => {
    store.close();
    t[Symbol.dispose]();
  });
  return { store, file };
}

function schemaOf(db: Database.Database): string[] {
  return (db.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as object[]).map((r) => JSON.stringify(r));
}

function columnsOf(db: Database.Database): string[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
  return tables.flatMap((t) => (db.prepare(`PRAGMA table_info(${t.name})`).all() as object[]).map((c) => `${t.name}:${JSON.stringify(c)}`)).sort();
}

describe('migrations', () => {
  test('run from an empty file, set WAL and foreign keys, and reach store/schema.sql', () => {
    const { store } = openTemp();
    expect(store.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    const reference = new Database(':memory:');
    reference.exec(readFileSync(join(import.meta.dirname, 'schema.sql'), 'utf8'));
    expect(schemaOf(store.db)).toEqual(schemaOf(reference));
    expect(columnsOf(store.db)).toEqual(columnsOf(reference));
  });

  test('the certificates table takes the three agent roles (migration 7) and keeps its constraint', () => {
    const { store } = openTemp();
    const insert = (role: string) =>
      store.db.prepare("INSERT INTO certificates (serial, subject, role, cert_pem, key_enc, not_before, not_after, created_at) VALUES (?, ?, ?, 'p', x'00', 't', 't', 't')").run(`s-${role}`, `${role}:h`, role);
    for (const role of ['gateway', 'edge', 'balancer']) expect(() => insert(role)).not.toThrow();
    expect(() => insert('router')).toThrow(/CHECK constraint failed/);
  });

  test('migration 13 keeps every session and the session id counter, also past sessions gone with their device; devices stay enabled', () => {
    const t = tempDir();
    cleanups.push(() => t[Symbol.dispose]());
    const file = join(t.dir, 'bulwark.db');
    const raw = new Database(file);
    raw.pragma('foreign_keys = ON');
    for (const m of MIGRATIONS.filter((x) => x.version <= 12)) {
      raw.exec(m.sql);
      m.rows?.(raw);
    }
    raw.pragma('user_version = 12');
    raw.exec(`INSERT INTO locations (id, name, network, family, endpoint_host, endpoint_port, mfa, disconnect_threshold, wg_public_key, wg_private_key_enc, created_at)
      VALUES (1, 'hq', '10.0.0.0/24', 4, 'vpn', 51820, 1, 120, 'k', x'00', 't')`);
    raw.exec("INSERT INTO devices (id, location_id, name, public_key, host_index, address, created_at) VALUES (1, 1, 'a', 'ka', 2, '10.0.0.2/32', 't'), (2, 1, 'b', 'kb', 3, '10.0.0.3/32', 't')");
    raw.exec("INSERT INTO sessions (device_id, started_at, started_by, ended_at, end_reason, ended_by) VALUES (1, 't', 'x', 't', 'ended', 'x'), (1, 't', 'x', NULL, NULL, NULL), (2, 't', 'x', NULL, NULL, NULL)");
    raw.exec('DELETE FROM devices WHERE id = 2');
    raw.close();
    const store = Store.open(file, opts);
    cleanups.unshift(() => store.close());
    expect(store.db.prepare('SELECT id, end_reason FROM sessions ORDER BY id').all()).toEqual([{ id: 1, end_reason: 'ended' }, { id: 2, end_reason: null }]);
    expect(store.db.prepare('SELECT name, enabled FROM devices').all()).toEqual([{ name: 'a', enabled: 1 }]);
    // Session 3 went with device b: its id is still never handed out again.
    store.db.prepare("UPDATE sessions SET ended_at = 't', end_reason = 'device_disabled', ended_by = 'x' WHERE id = 2").run();
    expect(store.db.prepare("INSERT INTO sessions (device_id, started_at, started_by) VALUES (1, 't', 'x')").run().lastInsertRowid).toBe(4);
    expect(() => store.db.prepare("UPDATE devices SET enabled = 2").run()).toThrow(/CHECK constraint failed/);
  });

  test('are applied once: reopening changes nothing', () => {
    const { store, file } = openTemp();
    store.close();
    const again = Store.open(file, opts);
    expect(again.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    again.close();
  });

  test('a database from a newer Bulwark is refused with a clear message', () => {
    const { store, file } = openTemp();
    store.db.pragma('user_version = 999');
    store.close();
    expect(() => Store.open(file, opts)).toThrow(/schema version 999, newer than this Bulwark knows/);
  });
});

describe('writes', () => {
  test('a write that fails halfway leaves the database as it was, and announces no event', () => {
    const { store } = openTemp();
    const seen: unknown[] = [];
    store.onDidCommit((e) => seen.push(...e));
    const before = store.db.prepare('SELECT count(*) AS n FROM hosts').get();
    expect(() =>
      store.write((tx) => {
        tx.run("INSERT INTO hosts (name, ssh_user, ssh_address, ssh_port, auth_kind, created_at) VALUES ('a', 'root', 'h', 22, 'agent', 'now')");
        tx.event({ kind: 'host.created', subject: 'host:a', details: { ssh: 'root@h:22', auth: 'agent' } });
        // The second row breaks a constraint (same name): the first must go too.
        tx.run("INSERT INTO hosts (name, ssh_user, ssh_address, ssh_port, auth_kind, created_at) VALUES ('A', 'root', 'h', 22, 'agent', 'now')");
      }),
    ).toThrow(/UNIQUE/);
    expect(store.db.prepare('SELECT count(*) AS n FROM hosts').get()).toEqual(before);
    expect(store.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
    expect(seen).toEqual([]);
  });

  test('a write inside a write joins it: a later failure undoes both (how Core checks output before commit)', () => {
    const { store } = openTemp();
    expect(() =>
      store.write(() => {
        store.write((tx) => tx.event({ kind: 'host.created', subject: 'host:inner', details: { ssh: 'root@h:22', auth: 'agent' } }));
        throw new Error('output check failed');
      }),
    ).toThrow(/output check failed/);
    expect(store.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
  });

  test('events are append-only: updates and deletes are refused by the database itself', () => {
    const { store } = openTemp();
    const e = store.write((tx) => tx.event({ kind: 'host.created', subject: 'host:a', details: { ssh: 'root@h:22', auth: 'agent' } }));
    expect(e).toMatchObject({ id: 1, actor: 'test', time: '2026-01-01T00:00:00.000Z' });
    expect(() => store.db.prepare('UPDATE events SET actor = ?').run('mallory')).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
  });
});
