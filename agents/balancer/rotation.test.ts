// The rotation decides who gets clients; these are the decisions an admin relies on.
import { describe, expect, test } from 'vitest';
import { Rotation } from './rotation.js';

const policy = { fall: 3, rise: 2 };
const ok = (host: string) => ({ host, ok: true, reason: null });
const bad = (host: string, reason = 'connection refused') => ({ host, ok: false, reason });

describe('Rotation', () => {
  test('a gateway goes out after `fall` failures in a row, not before, and a pass resets the count', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0');
    expect(r.observe([bad('gw1'), ok('gw2')], 't1')).toEqual([]);
    expect(r.observe([bad('gw1'), ok('gw2')], 't2')).toEqual([]);
    expect(r.observe([ok('gw1'), ok('gw2')], 't3')).toEqual([]);
    r.observe([bad('gw1'), ok('gw2')], 't4');
    r.observe([bad('gw1'), ok('gw2')], 't5');
    expect(r.observe([bad('gw1', 'timed out after 800 ms'), ok('gw2')], 't6')).toEqual([{ host: 'gw1', inRotation: false, reason: 'timed out after 800 ms' }]);
    expect(r.isIn('gw1')).toBe(false);
    expect(r.view().find((g) => g.host === 'gw1')).toEqual({ host: 'gw1', inRotation: false, healthy: false, since: 't6', reason: 'timed out after 800 ms' });
  });

  test('it comes back after `rise` passes in a row', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0');
    for (let i = 0; i < 3; i++) r.observe([bad('gw1'), ok('gw2')], `t${i}`);
    expect(r.observe([ok('gw1'), ok('gw2')], 't4')).toEqual([]);
    expect(r.observe([ok('gw1'), ok('gw2')], 't5')).toEqual([{ host: 'gw1', inRotation: true, reason: null }]);
    expect(r.view()).toEqual([
      { host: 'gw1', inRotation: true, healthy: true, since: 't5', reason: null },
      { host: 'gw2', inRotation: true, healthy: true, since: 't0', reason: null },
    ]);
  });

  test('fail open: the last gateway in rotation stays, and says why', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0');
    for (let i = 0; i < 3; i++) r.observe([bad('gw1'), ok('gw2')], `a${i}`);
    for (let i = 0; i < 5; i++) expect(r.observe([bad('gw1'), bad('gw2')], `b${i}`)).toEqual([]);
    expect(r.isIn('gw2')).toBe(true);
    expect(r.view().find((g) => g.host === 'gw2')!.reason).toMatch(/kept in rotation, since no other gateway is in it/);
    // gw1 recovers: it comes in and, in the same round, the failing gw2 goes out.
    r.observe([ok('gw1'), bad('gw2')], 'c1');
    expect(r.observe([ok('gw1'), bad('gw2')], 'c2')).toEqual([
      { host: 'gw1', inRotation: true, reason: null },
      { host: 'gw2', inRotation: false, reason: 'connection refused' },
    ]);
  });

  test('after a restart, a gateway that was out must pass `rise` checks before it gets clients again', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0', new Set(['gw1']));
    expect(r.isIn('gw1')).toBe(false);
    expect(r.observe([ok('gw1'), ok('gw2')], 't1')).toEqual([]);
    expect(r.observe([ok('gw1'), ok('gw2')], 't2')).toEqual([{ host: 'gw1', inRotation: true, reason: null }]);
    // A saved state that has every gateway out is not trusted: all start in.
    expect(new Rotation(['gw1', 'gw2'], policy, 't0', new Set(['gw1', 'gw2'])).out()).toEqual([]);
  });
});

describe('Rotation with manual failback', () => {
  const manual = () => new Rotation(['gw1', 'gw2'], policy, 't0', new Set(), 'manual', (h) => `bulwark location lb-release hq --gateway ${h}`);

  test('a gateway that passes again stays out until released, and says how', () => {
    const r = manual();
    for (let i = 0; i < 3; i++) r.observe([bad('gw1'), ok('gw2')], `a${i}`);
    for (let i = 0; i < 4; i++) expect(r.observe([ok('gw1'), ok('gw2')], `b${i}`)).toEqual([]);
    expect(r.isIn('gw1')).toBe(false);
    expect(r.view()[0]).toMatchObject({ host: 'gw1', inRotation: false, healthy: true, reason: 'passes its checks again; stays out until released, since failback is manual: bulwark location lb-release hq --gateway gw1' });
    r.release('gw1', 'c0');
    expect(r.view()[0]).toEqual({ host: 'gw1', inRotation: true, healthy: true, since: 'c0', reason: null });
  });

  test('a release is refused for a gateway that fails or is in; a held one returns by itself when nothing in rotation passes', () => {
    const r = manual();
    for (let i = 0; i < 3; i++) r.observe([bad('gw1'), ok('gw2')], `a${i}`);
    expect(() => r.release('gw1', 'x')).toThrow(/gw1 fails its health check \(connection refused\)/);
    expect(() => r.release('gw2', 'x')).toThrow(/gw2 is in rotation already/);
    expect(() => r.release('gw9', 'x')).toThrow(/gw9 is not a gateway here/);
    r.observe([ok('gw1'), bad('gw2')], 'b1');
    expect(r.observe([ok('gw1'), bad('gw2')], 'b2')).toEqual([{ host: 'gw1', inRotation: true, reason: null }]);
  });

  test('drain: out while a rolling apply changes it, whatever its checks say; back after `rise` passes once undrained', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0');
    expect(r.drain('gw1', 't1')).toBe(true);
    expect(r.isIn('gw1')).toBe(false);
    for (let i = 0; i < 4; i++) expect(r.observe([ok('gw1'), ok('gw2')], `p${i}`)).toEqual([]);
    expect(r.view().find((g) => g.host === 'gw1')).toMatchObject({ inRotation: false, healthy: true, since: 't1', reason: 'taken out while a rolling apply changes it' });
    r.undrain('gw1');
    expect(r.observe([ok('gw1'), ok('gw2')], 'q1')).toEqual([]);
    expect(r.observe([ok('gw1'), ok('gw2')], 'q2')).toEqual([{ host: 'gw1', inRotation: true, reason: null }]);
  });

  test('drain refuses the last gateway in rotation, and a drained gateway cannot be released', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0', new Set(), 'manual');
    r.drain('gw1', 't1');
    expect(() => r.drain('gw2', 't2')).toThrow(/only gateway in rotation/);
    expect(() => r.release('gw1', 't3')).toThrow(/rolling apply/);
  });

  test('manual failback: an undrained gateway is held, as after a failure, until released', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0', new Set(), 'manual', (h) => `bulwark location lb-release hq --gateway ${h}`);
    r.drain('gw1', 't1');
    r.undrain('gw1');
    for (let i = 0; i < 3; i++) expect(r.observe([ok('gw1'), ok('gw2')], `p${i}`)).toEqual([]);
    expect(r.view().find((g) => g.host === 'gw1')!.reason).toMatch(/stays out until released.*lb-release hq --gateway gw1/);
    r.release('gw1', 't9');
    expect(r.isIn('gw1')).toBe(true);
  });

  test('a drain outlives an agent restart', () => {
    const r = new Rotation(['gw1', 'gw2'], policy, 't0', new Set(['gw1']), 'auto', undefined, new Set(['gw1']));
    expect(r.isIn('gw1')).toBe(false);
    expect(r.drainedHosts()).toEqual(['gw1']);
    for (let i = 0; i < 3; i++) expect(r.observe([ok('gw1'), ok('gw2')], `p${i}`)).toEqual([]);
  });
});
