import { describe, expect, test } from 'vitest';
import type { CoreEvent } from '../../src-main/contract/index.js';
import { foldRunEvent, runFromEvents } from './run-fold.js';

let id = 0;
const ev = (kind: CoreEvent['kind'], details: Record<string, unknown>, time = '2026-12-06T10:00:00.000Z'): CoreEvent => ({ id: ++id, time, actor: 'cli:root@ws', kind, subject: 'run:r-000001', details });
const failure = { step: 'verify', message: 'unhealthy', command: null, exitCode: null, output: [] };

describe('a run read back from its events', () => {
  test('hosts, steps, outcomes and the end, as the live view shows them', () => {
    const events = [
      ev('provision.started', { run: 'r-000001', hosts: ['gw1', 'gw2'] }),
      ev('provision.step', { run: 'r-000001', host: 'gw1', step: 'connect', status: 'ok' }),
      ev('provision.step', { run: 'r-000001', host: 'gw2', step: 'connect', status: 'ok' }),
      ev('provision.step', { run: 'r-000099', host: 'gw1', step: 'upload', status: 'ok' }),
      ev('provision.step', { run: 'r-000001', host: 'gw2', step: 'verify', status: 'failed', failure }),
      ev('provision.host_finished', { run: 'r-000001', host: 'gw2', outcome: 'failed', rolledBack: true, durationMs: 900, restartMs: null, failure }),
      ev('provision.finished', { run: 'r-000001', ok: false, outcomes: { gw1: 'applied', gw2: 'failed' } }, '2026-12-06T10:00:12.500Z'),
    ];
    const run = runFromEvents(events)!;
    expect(run).toMatchObject({ id: 'r-000001', actor: 'cli:root@ws', startedAt: '2026-12-06T10:00:00.000Z', state: 'finished', ok: false, durationMs: 12_500 });
    expect(run.hosts.map((h) => [h.host, h.steps.map((s) => `${s.step}:${s.status}`).join(' '), h.outcome, h.rolledBack])).toEqual([
      ['gw1', 'connect:ok', 'applied', false],
      ['gw2', 'connect:ok verify:failed', 'failed', true],
    ]);
    expect(run.hosts[1]!.failure).toEqual(failure);
    // An event folded twice (a stream that resumes) changes nothing.
    expect(foldRunEvent(run, events[2]!)).toBe(run);
  });

  test('events without the start are no run', () => {
    expect(runFromEvents([ev('provision.step', { run: 'r-000001', host: 'gw1', step: 'connect', status: 'ok' })])).toBeNull();
  });
});
