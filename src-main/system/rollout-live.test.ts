// What a rolling apply takes from the status read model: which gateways can take the clients,
// who holds the floating IP, and when a changed gateway counts as settled.
import { describe, expect, test } from 'vitest';
import type { LocationStatus } from '../contract/index.js';
import { liveEdges, liveGateways, notReady, unsettled } from './rollout-live.js';

type Gateway = LocationStatus['gateways'][number];
const gw = (host: string, over: Partial<Gateway> = {}): Gateway => ({
  host,
  link: 'up',
  since: 't',
  reason: null,
  healthy: true,
  wireguardMode: 'wireguard-go',
  peers: 1,
  vrrp: null,
  lb: null,
  ...over,
});
const status = (mode: LocationStatus['failover']['mode'], gateways: Gateway[], holders: string[] = []): LocationStatus => ({
  location: 'hq',
  mfa: false,
  disconnectThreshold: 300,
  gateways,
  failover: { mode, vip: mode === 'vrrp' ? '198.51.100.25/27' : null, holders, balancer: null, problems: [], pendingApply: false },
  devices: [],
});

describe('notReady', () => {
  test('a gateway must be linked and healthy', () => {
    expect(notReady('none', gw('a', { link: 'down', reason: 'connection refused' }))).toBe('link down: connection refused');
    expect(notReady('none', gw('a', { healthy: false }))).toBe('its data plane is unhealthy');
    expect(notReady('none', gw('a'))).toBeNull();
  });
  test('vrrp: in a role keepalived named; lb: in the balancer\'s rotation, with why not', () => {
    expect(notReady('vrrp', gw('a', { vrrp: { role: null, holdsVip: false } }))).toBe('VRRP role not known yet');
    expect(notReady('vrrp', gw('a', { vrrp: { role: 'BACKUP', holdsVip: false } }))).toBeNull();
    expect(notReady('lb', gw('a', { lb: { inRotation: false, healthy: true, since: 't', reason: 'stays out until released' } }))).toBe("out of the load balancer's rotation (stays out until released)");
  });
});

describe('liveGateways', () => {
  test('says who holds the floating IP only for a linked gateway', () => {
    const st = status('vrrp', [gw('a', { vrrp: { role: 'MASTER', holdsVip: true } }), gw('b', { link: 'down', vrrp: { role: 'BACKUP', holdsVip: false } })], ['a']);
    expect(liveGateways(st)).toEqual([
      { host: 'a', ready: true, why: null, holdsVip: true },
      { host: 'b', ready: false, why: 'link down', holdsVip: null },
    ]);
  });
});

describe('unsettled', () => {
  test('vrrp: settled once the host is in a role and exactly one gateway holds the address', () => {
    const a = gw('a', { vrrp: { role: 'BACKUP', holdsVip: false } });
    expect(unsettled(status('vrrp', [a, gw('b', { vrrp: { role: 'MASTER', holdsVip: true } })], []), 'a')).toBe('no gateway holds the floating IP');
    expect(unsettled(status('vrrp', [a, gw('b')], ['a', 'b']), 'a')).toBe('a and b both hold the floating IP');
    expect(unsettled(status('vrrp', [a, gw('b')], ['b']), 'a')).toBeNull();
  });
  test('lb: a drained gateway is settled once linked and healthy (it is put back after)', () => {
    expect(unsettled(status('lb', [gw('a', { lb: { inRotation: false, healthy: true, since: 't', reason: 'drained' } })]), 'a')).toBeNull();
    expect(unsettled(status('lb', [gw('a', { link: 'connecting' })]), 'a')).toBe('a: link connecting');
  });
});

test('an edge is ready for a rolling apply only when linked and taking public requests', () => {
  const edge = (host: string, link: 'up' | 'down', ready: boolean | null, notReady: string | null = null) => ({ host, link, since: '', reason: link === 'down' ? 'no heartbeat for 5000 ms' : null, ready, notReady, served: 0, failed: 0, balancer: null });
  const st = { public: null, balancer: null, lockouts: [], problems: [], edges: [edge('e1', 'up', true), edge('e2', 'up', false, 'no link to Core'), edge('e3', 'down', null)] };
  expect(liveEdges(st)).toEqual([
    { host: 'e1', ready: true, why: null, holdsVip: null },
    { host: 'e2', ready: false, why: 'not ready: no link to Core', holdsVip: null },
    { host: 'e3', ready: false, why: 'link down: no heartbeat for 5000 ms', holdsVip: null },
  ]);
});
