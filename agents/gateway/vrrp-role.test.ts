// The VRRP side's decisions, without keepalived: when a floating IP on this host is a stray that
// must go, and what a role keepalived tells asks of the gateway.
import { describe, expect, test } from 'vitest';
import { inferredRole, mustDropVip, roleAction, strayChecksAfter } from './vrrp-role.js';

describe('a floating IP that must not be here', () => {
  test.each([
    [null, true, 0, 0],
    ['MASTER', true, 3, 0],
    ['BACKUP', true, 0, 1],
    ['FAULT', true, 1, 2],
    ['STOP', true, 2, 3],
    ['BACKUP', false, 2, 0],
  ] as const)('role %s, holds %s, %i stray checks before: %i after', (role, holds, before, after) => {
    expect(strayChecksAfter(role, holds, before)).toBe(after);
  });

  test('goes without a live keepalived, or after two checks in a row while not master', () => {
    const alive = () => true;
    const dead = () => false;
    expect(mustDropVip(true, 0, dead)).toBe(true);
    expect(mustDropVip(true, 1, alive)).toBe(false);
    expect(mustDropVip(true, 2, alive)).toBe(true);
    expect(mustDropVip(false, 5, dead)).toBe(false);
  });

  test('asks about keepalived only when the address is here', () => {
    let asked = 0;
    mustDropVip(false, 0, () => (asked++, false));
    expect(asked).toBe(0);
  });
});

describe('roleAction', () => {
  test.each([
    [null, 'MASTER', 'takeover'],
    ['BACKUP', 'MASTER', 'takeover'],
    ['MASTER', 'MASTER', null],
    ['MASTER', 'BACKUP', 'standDown'],
    [null, 'BACKUP', 'standDown'],
    ['BACKUP', 'BACKUP', null],
    ['BACKUP', 'FAULT', 'standDown'],
    ['FAULT', 'STOP', 'standDown'],
  ] as const)('%s then %s: %s', (was, role, want) => {
    expect(roleAction(was, role)).toBe(want);
  });
});

describe('a role keepalived has not told (the agent restarted under a running keepalived)', () => {
  test('is master with the floating IP here, backup without it', () => {
    expect(inferredRole(null, true, () => true)).toBe('MASTER');
    expect(inferredRole(null, false, () => true)).toBe('BACKUP');
  });
  test('is not guessed without a running keepalived, nor over a role keepalived told', () => {
    expect(inferredRole(null, true, () => false)).toBeNull();
    expect(inferredRole('FAULT', false, () => true)).toBeNull();
    expect(inferredRole('BACKUP', true, () => true)).toBeNull();
  });
});
