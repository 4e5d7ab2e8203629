import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentTakeover, type AgentMessage } from '../../src-main/contract/index.js';
import { CoreLink } from './context.js';
import { TakeoverReports, takeoverReport, watchHandshakes } from './takeover.js';

describe('takeoverReport', () => {
  it('counts from the address: sorted times, the clients not back listed, and it parses as the link message', () => {
    const t = Date.parse('2026-12-06T10:00:00Z');
    const r = takeoverReport('hq', t, 12.4, new Map([['b', t + 420], ['a', t + 130], ['c', null], ['d', t - 5]]), 3, 'x1');
    expect(r.backMs).toEqual([0, 130, 420]);
    expect(r.missing).toEqual(['c']);
    expect(r).toMatchObject({ clients: 4, unreachable: 3, addressAfterMs: 12, tookAt: '2026-12-06T10:00:00.000Z' });
    expect(AgentTakeover.parse(r)).toEqual(r);
  });
});

describe('watchHandshakes', () => {
  it('stops as soon as every client is back, and marks the late ones missing when the window ends', async () => {
    let now = 1_000_000;
    const reads: number[] = [];
    const at: Record<string, number> = { a: 0, b: 0 };
    const o = {
      read: async () => {
        reads.push(now);
        return new Map(Object.entries(at));
      },
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
        if (now >= 1_000_200) at.a = now - 10;
      },
      pollMs: 50,
      windowMs: 1000,
    };
    const back = await watchHandshakes(['a', 'b'], 1_000_000, o);
    expect(back.get('a')).toBe(1_000_190);
    expect(back.get('b')).toBeNull();
    expect(now).toBeGreaterThanOrEqual(1_001_000);

    at.b = now + 5;
    const reads0 = reads.length;
    const again = await watchHandshakes(['a', 'b'], 1_000_000, o);
    expect([...again.values()].every((v) => v !== null)).toBe(true);
    expect(reads.length - reads0).toBe(1);
  });

  it('a read that fails is tried again at the next poll', async () => {
    let n = 0;
    let now = 0;
    const back = await watchHandshakes(['a'], 0, {
      read: async () => {
        if (n++ === 0) throw new Error('socket busy');
        return new Map([['a', 70]]);
      },
      now: () => now,
      sleep: async (ms) => void (now += ms),
    });
    expect(back.get('a')).toBe(70);
  });
});

describe('TakeoverReports', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a report across a restart until Core acknowledges it, and sends it on every new link', () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-takeover-'));
    const file = join(dir, 'takeovers.json');
    const sent: AgentMessage[] = [];
    const core = new CoreLink();
    core.send = (m) => void sent.push(m);
    const first = new TakeoverReports(file, core);
    first.add(takeoverReport('hq', 0, 0, new Map([['a', 100]]), 0, 'r1'));
    expect(sent.map((m) => m.type)).toEqual(['takeover']);

    const restarted = new TakeoverReports(file, core);
    restarted.sendUnacknowledged();
    expect(sent).toHaveLength(2);
    restarted.acknowledged(['r1']);
    restarted.sendUnacknowledged();
    expect(sent).toHaveLength(2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });
});
