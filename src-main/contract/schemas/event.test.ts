import { describe, expect, test } from 'vitest';
import { EVENT_DETAILS, EVENT_KINDS, parseKnownEvent, type CoreEvent } from '../index.js';

const at = { id: 1, time: '2026-01-01T00:00:00.000Z', actor: 'test', subject: 'device:hq/anna' };

describe('event details per kind', () => {
  test('every kind has a details schema, and the kinds are the keys of EVENT_DETAILS', () => {
    expect([...EVENT_KINDS].sort()).toEqual(Object.keys(EVENT_DETAILS).sort());
  });

  test('details that match their kind parse, typed by kind', () => {
    const e = parseKnownEvent({ ...at, kind: 'session.started', details: { location: 'hq', device: 'anna', publicKey: 'k', address: '10.1.0.2/32', session: 7 } });
    expect(e.kind === 'session.started' && e.details.session).toBe(7);
  });

  test.each<[string, CoreEvent]>([
    ['a missing field', { ...at, kind: 'session.started', details: { location: 'hq', device: 'anna', address: '10.1.0.2/32', session: 7 } }],
    ['a field of the wrong type', { ...at, kind: 'device.added', details: { location: 'hq', name: 'anna', address: '10.1.0.2/32', publicKey: 42 } }],
    ['an unknown end reason', { ...at, kind: 'session.ended', details: { location: 'hq', device: 'anna', publicKey: 'k', address: 'a', session: 1, reason: 'bored', by: 'ui' } }],
    ['a link change without its state before', { ...at, kind: 'link.down', details: { host: 'gw-1', role: 'gateway', reason: 'x', healthy: null } }],
  ])('details with %s are refused, naming the field', (_what, e) => {
    expect(() => parseKnownEvent(e)).toThrow(/publicKey|reason|was/);
  });

  test('link.refused carries either a state change or a problem on an up link', () => {
    expect(parseKnownEvent({ ...at, kind: 'link.refused', details: { host: 'gw-1', role: 'gateway', reason: 'revoked', healthy: null, was: 'connecting' } }).kind).toBe('link.refused');
    expect(parseKnownEvent({ ...at, kind: 'link.refused', details: { host: 'gw-1', role: 'gateway', reason: 'bad peers', by: 'agent' } }).kind).toBe('link.refused');
  });
});
