// Which peers a stats report carries: those whose counters or endpoint changed since the last
// report of the same location; a full report (a new link) carries them all.
import { describe, expect, test } from 'vitest';
import { StatsChanges } from './reporter.js';

const peer = (publicKey: string, rxBytes: number, endpoint: string | null = '198.51.100.7:51820') => ({ publicKey, endpoint, latestHandshake: 100, rxBytes, txBytes: 10 });

describe('StatsChanges', () => {
  test('reports a peer again only when something about it changed', () => {
    const c = new StatsChanges();
    expect(c.since('hq', [peer('a', 1), peer('b', 1)], false).map((p) => p.publicKey)).toEqual(['a', 'b']);
    expect(c.since('hq', [peer('a', 1), peer('b', 2)], false).map((p) => p.publicKey)).toEqual(['b']);
    expect(c.since('hq', [peer('a', 1, '198.51.100.8:1'), peer('b', 2)], false).map((p) => p.publicKey)).toEqual(['a']);
    expect(c.since('hq', [peer('a', 1, '198.51.100.8:1'), peer('b', 2)], false)).toEqual([]);
  });

  test('locations are apart, and a full report has every peer', () => {
    const c = new StatsChanges();
    c.since('hq', [peer('a', 1)], false);
    expect(c.since('branch', [peer('a', 1)], false)).toHaveLength(1);
    expect(c.since('hq', [peer('a', 1)], true)).toHaveLength(1);
  });
});
