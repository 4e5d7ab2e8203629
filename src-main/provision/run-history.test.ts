// Provisioning runs read back from a real store's audit trail: how each ended, a run Core lost
// (no end, not running) as interrupted, and the indexes that keep both off a full scan.
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { tempDir } from '../../test/helpers/server.js';
import { EventService } from '../core/events/event-service.js';
import { Store } from '../store/db.js';
import { recentRuns } from './run-history.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function openStore(): Store {
  const t = tempDir();
  let tick = 0;
  const store = Store.open(join(t.dir, 'bulwark.db'), { now: () => new Date(Date.UTC(2026, 11, 6, 10, 0, tick++)), actor: () => 'cli:root@ws' });
  cleanups.push(() => {
    store.close();
    t[Symbol.dispose]();
  });
  return store;
}

function run(store: Store, id: string, end: 'ok' | 'failed' | null): void {
  store.write((tx) => tx.event({ kind: 'provision.started', subject: `run:${id}`, details: { run: id, hosts: ['gw1', 'gw2'] } }));
  store.write((tx) => tx.event({ kind: 'provision.step', subject: `run:${id}`, details: { run: id, host: 'gw1', step: 'connect', status: 'ok' } }));
  if (end) store.write((tx) => tx.event({ kind: 'provision.finished', subject: `run:${id}`, details: { run: id, ok: end === 'ok', outcomes: { gw1: 'applied', gw2: end === 'ok' ? 'up_to_date' : 'failed' } } }));
}

test('the newest runs first, each with how it ended; one with no end is running only while Core runs it', () => {
  const store = openStore();
  run(store, 'run-aaaa01', 'ok');
  run(store, 'run-aaaa02', 'failed');
  run(store, 'run-aaaa03', null);
  run(store, 'run-aaaa04', null);
  const runs = store.read((tx) => recentRuns(tx, { limit: 10 }, new Set(['run-aaaa04'])));
  expect(runs.map((r) => [r.id, r.state, r.ok])).toEqual([
    ['run-aaaa04', 'running', null],
    ['run-aaaa03', 'interrupted', null],
    ['run-aaaa02', 'finished', false],
    ['run-aaaa01', 'finished', true],
  ]);
  expect(runs[2]).toMatchObject({ actor: 'cli:root@ws', hosts: ['gw1', 'gw2'], outcomes: { gw1: 'applied', gw2: 'failed' }, startedAt: '2026-12-06T10:00:03.000Z', finishedAt: '2026-12-06T10:00:05.000Z' });
  expect(store.read((tx) => recentRuns(tx, { limit: 2 }, new Set())).map((r) => r.id)).toEqual(['run-aaaa04', 'run-aaaa03']);
  expect(store.read((tx) => recentRuns(tx, { limit: 10, run: 'run-aaaa02' }, new Set())).map((r) => r.id)).toEqual(['run-aaaa02']);
  expect(store.read((tx) => recentRuns(tx, { limit: 10, run: 'run-zzzz99' }, new Set()))).toEqual([]);

  // A run's own events, and no other run's.
  const events = new EventService(store).list({ run: 'run-aaaa02', after: 0, limit: 100, newest: false });
  expect(events.map((e) => e.kind)).toEqual(['provision.started', 'provision.step', 'provision.finished']);
});

test("a run's events and the newest runs are found through indexes, not by reading the whole audit trail", () => {
  const store = openStore();
  const plan = (sql: string) => store.read((tx) => tx.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).map((r) => r.detail).join('; '));
  expect(plan("SELECT * FROM events WHERE kind GLOB 'provision.*' AND json_extract(details, '$.run') = 'x' AND id > 0 ORDER BY id LIMIT 10")).toMatch(/USING INDEX events_run/);
  expect(plan("SELECT time FROM events WHERE kind = 'provision.started' ORDER BY id DESC LIMIT 10")).toMatch(/USING INDEX events_kind/);
});
