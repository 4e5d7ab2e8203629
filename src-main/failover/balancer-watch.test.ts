import { describe, expect, test } from 'vitest';
import type { BalancerView } from '../contract/index.js';
import { rotationEvents } from './balancer-watch.js';

const at = '2026-01-01T00:00:00.000Z';
const view = (inRotation: Record<string, boolean>, error: string | null = null): BalancerView => ({
  nginx: { running: true, pid: 1, reloads: 0, error },
  locations: [{ location: 'hq', gateways: Object.entries(inRotation).map(([host, r]) => ({ host, inRotation: r, healthy: r, since: at, reason: r ? null : 'HTTP 503' })) }],
});

describe('rotationEvents', () => {
  test('a gateway going out and one coming back are one event each, with the reason', () => {
    expect(rotationEvents('lb', 'balancer:lb', view({ a: true, b: false }), view({ a: false, b: true }))).toEqual([
      { kind: 'balancer.gateway_out', subject: 'location:hq', details: { location: 'hq', gateway: 'a', balancer: 'lb', reason: 'HTTP 503', since: at } },
      { kind: 'balancer.gateway_in', subject: 'location:hq', details: { location: 'hq', gateway: 'b', balancer: 'lb', reason: null, since: at } },
    ]);
  });
  test('nothing changed, or a gateway seen for the first time: no event', () => {
    expect(rotationEvents('lb', 'balancer:lb', view({ a: true }), view({ a: true, b: false }))).toEqual([]);
  });
  test('nginx failing is an event once, not at every heartbeat', () => {
    expect(rotationEvents('lb', 'balancer:lb', view({ a: true }), view({ a: true }, 'nginx -t failed'))).toEqual([
      { kind: 'balancer.nginx_failed', subject: 'agent:balancer:lb', details: { host: 'lb', error: 'nginx -t failed' } },
    ]);
    expect(rotationEvents('lb', 'balancer:lb', view({ a: true }, 'nginx -t failed'), view({ a: true }, 'nginx -t failed'))).toEqual([]);
  });
});
