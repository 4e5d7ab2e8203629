// When an MFA peer counts as idle: no handshake, no received traffic, no activity seen by
// another gateway, for longer than the threshold since it was applied.
import { describe, expect, test } from 'vitest';
import { IdleTracker } from './idle.js';

const stats = (publicKey: string, latestHandshake: number, rxBytes: number) => ({ publicKey, endpoint: null, latestHandshake, rxBytes, txBytes: 0 });
const applied = (publicKey: string, appliedAt: number) => ({ publicKey, appliedAt });

describe('idle tracker', () => {
  test('a peer that never shows up is idle once the threshold has passed since it was applied', () => {
    const t = new IdleTracker();
    t.observe([stats('a', 0, 0)], 100);
    expect(t.idle([applied('a', 100)], 60, 160)).toEqual([]);
    expect(t.idle([applied('a', 100)], 60, 161)).toEqual([applied('a', 100)]);
  });

  test('received bytes keep a peer active between handshakes (keepalives count)', () => {
    const t = new IdleTracker();
    t.observe([stats('a', 100, 500)], 100);
    t.observe([stats('a', 100, 532)], 190); // a keepalive, no new handshake
    expect(t.idle([applied('a', 50)], 60, 200)).toEqual([]);
    t.observe([stats('a', 100, 532)], 240); // silent since 190
    expect(t.idle([applied('a', 50)], 60, 251)).toEqual([applied('a', 50)]);
  });

  test('the first reading sets a baseline: old counters alone are no sign of life', () => {
    const t = new IdleTracker();
    t.observe([stats('a', 0, 10_000)], 500);
    expect(t.lastActivity('a', 0)).toBe(0);
    t.observe([stats('a', 480, 10_000)], 502);
    expect(t.lastActivity('a', 0)).toBe(480);
  });

  test("another gateway's activity counts; forget clears what was known", () => {
    const t = new IdleTracker();
    t.hint('a', 300);
    t.hint('a', 200); // older news changes nothing
    expect(t.idle([applied('a', 0)], 60, 350)).toEqual([]);
    t.forget('a');
    expect(t.idle([applied('a', 0)], 60, 350)).toEqual([applied('a', 0)]);
  });
});
