// When a peer's idle clock starts: a peer re-sent unchanged keeps it, a new session or new
// addresses restart it.
import { describe, expect, test } from 'vitest';
import { peerEntry } from './peers.js';

const K = 'A'.repeat(43) + '=';

describe('peerEntry', () => {
  const had = { publicKey: K, allowedIps: ['10.0.0.2/32', 'fd00::2/128'], session: 7, appliedAt: 100 };

  test('the same session and addresses (in any order) keep when they were first applied', () => {
    expect(peerEntry(had, { publicKey: K, allowedIps: ['fd00::2/128', '10.0.0.2/32'], session: 7 }, 500)).toEqual({ publicKey: K, allowedIps: ['fd00::2/128', '10.0.0.2/32'], session: 7, appliedAt: 100 });
  });

  test.each([
    ['a new session', { publicKey: K, allowedIps: had.allowedIps, session: 8 }],
    ['no session', { publicKey: K, allowedIps: had.allowedIps }],
    ['other addresses', { publicKey: K, allowedIps: ['10.0.0.3/32', 'fd00::2/128'], session: 7 }],
    ['fewer addresses', { publicKey: K, allowedIps: ['10.0.0.2/32'], session: 7 }],
  ])('%s starts the clock now', (_what, p) => {
    expect(peerEntry(had, p, 500).appliedAt).toBe(500);
  });

  test('a peer not applied before starts now', () => {
    expect(peerEntry(undefined, { publicKey: K, allowedIps: ['10.0.0.2/32'] }, 500)).toEqual({ publicKey: K, allowedIps: ['10.0.0.2/32'], appliedAt: 500 });
  });
});
