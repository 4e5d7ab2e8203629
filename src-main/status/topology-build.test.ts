// Every state, word and problem kind of the topology, from facts made here (the integration test
// drives the same fold from scripted agents over real links).
import { describe, expect, test } from 'vitest';
import type { FailoverRecord, LinkState } from '../contract/index.js';
import type { AgentHeartbeat } from '../link/link.js';
import { buildTopology, type AgentSight, type LocationFacts, type TopologyFacts } from './topology-build.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const DAY = 86_400_000;
const SHA = 'c0ffee';

function view(host: string, role: AgentSight['role'], over: Partial<LinkState> = {}): LinkState {
  return { agent: `${role}:${host}`, host, role, state: 'up', since: '2026-12-06T11:00:00.000Z', reason: null, healthy: true, agentVersion: '1.0.0', wireguardMode: 'wireguard-go', configSha256: SHA, badMessages: 0, certificate: { serial: '01', notAfter: new Date(NOW + 80 * DAY).toISOString() }, applied: [], ...over };
}

function agent(host: string, role: AgentSight['role'], beat: Partial<AgentHeartbeat> = {}, over: Partial<LinkState> = {}): [string, AgentSight] {
  return [`${role}:${host}`, { host, role, installed: true, view: view(host, role, over), heartbeat: { type: 'heartbeat', seq: 1, healthy: over.healthy ?? true, ...beat }, expectedConfig: SHA }];
}

const vrrp = (location: string, role: 'MASTER' | 'BACKUP' | 'FAULT', holdsVip: boolean) => ({ vrrp: [{ location, role, holdsVip }] });

function location(over: Partial<LocationFacts> = {}): LocationFacts {
  return { name: 'hq', network: '10.0.0.0/24', endpoint: 'vpn.example.com:51820', mfa: false, mode: 'vrrp', vip: '198.51.100.10/24', lbHost: null, lbFailback: null, gateways: ['gw1', 'gw2'], devices: 3, sessions: null, active: 2, activeByGateway: new Map([['gw1', 2]]), lastFailover: null, ...over };
}

function facts(over: Partial<TopologyFacts> = {}, agents: [string, AgentSight][] = [agent('gw1', 'gateway', vrrp('hq', 'MASTER', true)), agent('gw2', 'gateway', vrrp('hq', 'BACKUP', false))]): TopologyFacts {
  return { now: NOW, core: { version: '1.0.0', startedAt: '2026-12-06T11:00:00.000Z', caNotAfter: new Date(NOW + 3000 * DAY).toISOString(), certNotAfter: null }, locations: [location()], agents: new Map(agents), edges: [], publicName: null, edgeBalancer: null, lockouts: 0, ...over };
}

const ids = (f: TopologyFacts) => buildTopology(f).problems.map((p) => `${p.severity} ${p.id}`);

describe('a healthy vrrp location', () => {
  test('no problems; the master holds the badge, words for every node, uptime from the start', () => {
    const t = buildTopology(facts());
    expect(t.problems).toEqual([]);
    expect(t.gateways.map((g) => [g.host, g.state, g.word, g.config, g.locations[0]!.holdsVip, g.locations[0]!.activePeers])).toEqual([
      ['gw1', 'ok', 'master', 'current', true, 2],
      ['gw2', 'ok', 'backup', 'current', false, 0],
    ]);
    expect(t.locations[0]).toMatchObject({ state: 'ok', word: 'serving', failover: { holders: ['gw1'] }, devices: 3, activePeers: 2 });
    expect(t.core).toMatchObject({ state: 'ok', word: 'running', uptimeS: 3600 });
  });
});

describe('gateway problems', () => {
  test('not installed: unknown, with the apply that installs it', () => {
    const f = facts({}, [agent('gw1', 'gateway', vrrp('hq', 'MASTER', true))]);
    const t = buildTopology(f);
    expect(t.gateways[1]).toMatchObject({ host: 'gw2', state: 'unknown', word: 'not installed', link: 'none' });
    expect(t.problems.find((p) => p.node === 'gateway:gw2')).toMatchObject({ id: 'uninstalled:gateway:gw2', severity: 'warning', command: 'bulwark provision apply --host gw2', action: { kind: 'plan', host: 'gw2' } });
  });
  test('link down: down with its reason; the location degraded, not down, while the other serves', () => {
    const t = buildTopology(facts({}, [agent('gw1', 'gateway', vrrp('hq', 'MASTER', true)), agent('gw2', 'gateway', {}, { state: 'down', reason: 'connection refused' })]));
    expect(t.gateways[1]).toMatchObject({ state: 'down', word: 'link down' });
    expect(t.problems.map((p) => p.text)).toContain('Core has no link with gateway gw2 (connection refused): check that bulwark-gateway runs there and that Core reaches it');
    expect(t.locations[0]).toMatchObject({ word: 'degraded', state: 'warning' });
  });
  test('unhealthy data plane, keepalived FAULT, drift, another version, certificates near or past their end', () => {
    const f = facts({}, [
      agent('gw1', 'gateway', vrrp('hq', 'MASTER', true), { configSha256: 'old', agentVersion: '0.9.0', certificate: { serial: '1', notAfter: new Date(NOW + 5 * DAY).toISOString() } }),
      agent('gw2', 'gateway', vrrp('hq', 'FAULT', false), { healthy: false, certificate: { serial: '2', notAfter: new Date(NOW - DAY).toISOString() } }),
    ]);
    expect(ids(f)).toEqual(['critical cert-expired:gateway:gw2', 'warning cert-soon:gateway:gw1', 'warning fault:hq:gw2', 'warning unhealthy:gateway:gw2', 'info drift:gateway:gw1', 'info version:gateway:gw1']);
    const t = buildTopology(f);
    expect(t.gateways.map((g) => [g.state, g.word])).toEqual([['warning', 'master'], ['down', 'unhealthy']]);
  });
});

describe('location problems', () => {
  test('a floating IP saved but not applied: pending apply, a warning with the plan, not an alarm', () => {
    const t = buildTopology(facts({}, [agent('gw1', 'gateway', {}), agent('gw2', 'gateway', {})]));
    expect(t.locations[0]).toMatchObject({ state: 'warning', word: 'pending apply' });
    expect(ids(facts({}, [agent('gw1', 'gateway', {}), agent('gw2', 'gateway', {})]))).toEqual(['warning vrrp-pending:hq']);
  });
  test('no holder, split brain, a holder Core cannot see', () => {
    expect(ids(facts({}, [agent('gw1', 'gateway', vrrp('hq', 'BACKUP', false)), agent('gw2', 'gateway', vrrp('hq', 'BACKUP', false))]))).toEqual(['critical no-holder:hq']);
    expect(ids(facts({}, [agent('gw1', 'gateway', vrrp('hq', 'MASTER', true)), agent('gw2', 'gateway', vrrp('hq', 'MASTER', true))]))).toEqual(['critical split-brain:hq']);
    expect(ids(facts({}, [agent('gw1', 'gateway', vrrp('hq', 'BACKUP', false)), agent('gw2', 'gateway', {}, { state: 'down' })]))).toEqual(['critical holder-unseen:hq', 'warning unlinked:gateway:gw2']);
    const t = buildTopology(facts({}, [agent('gw1', 'gateway', vrrp('hq', 'BACKUP', false)), agent('gw2', 'gateway', vrrp('hq', 'BACKUP', false))]));
    expect(t.locations[0]).toMatchObject({ state: 'down', word: 'down' });
  });
  test('no gateway: critical with devices, a warning without; one gateway with failover set', () => {
    expect(ids(facts({ locations: [location({ gateways: [], mode: 'none' })] }, []))).toEqual(['critical no-gateway:hq']);
    expect(ids(facts({ locations: [location({ gateways: [], mode: 'none', devices: 0 })] }, []))).toEqual(['warning no-gateway:hq']);
    expect(ids(facts({ locations: [location({ gateways: ['gw1'] })] }, [agent('gw1', 'gateway', vrrp('hq', 'MASTER', true))]))).toEqual(['warning one-gateway:hq']);
  });
  test('Core just started and still dials: grey and "connecting", no alarm', () => {
    const f = facts({}, [agent('gw1', 'gateway', {}, { state: 'connecting', healthy: null }), agent('gw2', 'gateway', {}, { state: 'connecting', healthy: null })]);
    expect(ids(f)).toEqual([]);
    const t = buildTopology(f);
    expect(t.locations[0]).toMatchObject({ state: 'unknown', word: 'connecting' });
    expect(t.gateways.map((g) => [g.state, g.word])).toEqual([['unknown', 'connecting'], ['unknown', 'connecting']]);
  });
  test('no gateway linked and healthy', () => {
    const f = facts({ locations: [location({ mode: 'none' })] }, [agent('gw1', 'gateway', {}, { healthy: false }), agent('gw2', 'gateway', {}, { state: 'refused', reason: 'certificate revoked' })]);
    expect(ids(f)).toContain('critical no-ready-gateway:hq');
  });
  test('the last failover left clients behind: information, naming them', () => {
    const last: FailoverRecord = { id: 7, location: 'hq', gateway: 'gw2', previous: 'gw1', tookAt: '2026-12-06T11:59:00.000Z', addressAfterMs: 3, clients: 3, back: 2, medianMs: 100, p95Ms: 300, slowestMs: 300, missing: [{ publicKey: 'AAAAAAAAAAAA', device: 'laptop' }], unreachable: 0, drill: false, receivedAt: '' };
    const t = buildTopology(facts({ locations: [location({ lastFailover: last })] }));
    expect(t.problems).toEqual([expect.objectContaining({ id: 'failover-missing:hq:7', severity: 'info', command: 'bulwark failover history hq', text: expect.stringContaining('1 of 3 clients did not come back within 20 s: laptop') })]);
  });
});

describe('lb locations and balancers', () => {
  const lbLoc = location({ mode: 'lb', vip: null, lbHost: 'lb1', lbFailback: 'manual' });
  const rotation = (gw1: boolean, healthy = true) => ({
    balancer: { nginx: { running: true, pid: 1, reloads: 0, error: null }, locations: [{ location: 'hq', gateways: [{ host: 'gw1', inRotation: gw1, healthy, since: '2026-12-06T11:30:00.000Z', reason: healthy ? null : 'HTTP 503' }, { host: 'gw2', inRotation: true, healthy: true, since: '2026-12-06T11:00:00.000Z', reason: null }] }] },
  });
  test('a gateway out of rotation, and one held out by manual failback with the release button', () => {
    const out = facts({ locations: [lbLoc] }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('lb1', 'balancer', rotation(false, false))]);
    expect(ids(out)).toEqual(['warning out:hq:gw1']);
    const t = buildTopology(out);
    expect(t.gateways[0]).toMatchObject({ word: 'out of rotation', state: 'warning', locations: [{ inRotation: false }] });
    expect(t.balancers[0]).toMatchObject({ word: 'balancing', nginxRunning: true, locations: [{ location: 'hq', inRotation: ['gw2'], out: ['gw1'] }] });
    expect(t.locations[0]!.failover.inRotation).toBe(1);
    const held = buildTopology(facts({ locations: [lbLoc] }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('lb1', 'balancer', rotation(false, true))]));
    expect(held.problems[0]).toMatchObject({ id: 'held-out:hq:gw1', command: 'bulwark location lb-release hq --gateway gw1', action: { kind: 'release', location: 'hq', host: 'gw1' } });
  });
  test('the balancer unlinked, or its nginx down', () => {
    expect(ids(facts({ locations: [lbLoc] }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('lb1', 'balancer', {}, { state: 'down' })]))).toEqual(['warning lb-unlinked:lb1']);
    const nginxDown = { balancer: { ...rotation(true).balancer, nginx: { running: false, pid: null, reloads: 1, error: 'bind failed' } } };
    const f = facts({ locations: [lbLoc] }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('lb1', 'balancer', nginxDown)]);
    expect(ids(f)).toEqual(['critical nginx-down:lb1']);
    expect(buildTopology(f).balancers[0]).toMatchObject({ state: 'down', word: 'nginx down' });
    expect(buildTopology(f).locations[0]).toMatchObject({ state: 'down', word: 'down' });
  });
  test('a balancer of two locations has its problems once', () => {
    const two = [lbLoc, { ...lbLoc, name: 'branch', gateways: ['gw3'] }];
    const f = facts({ locations: two }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('gw3', 'gateway'), agent('lb1', 'balancer', {}, { state: 'down' })]);
    expect(ids(f).filter((i) => i.includes('lb1'))).toEqual(['warning lb-unlinked:lb1']);
    expect(ids(facts({ locations: two }, [agent('gw1', 'gateway'), agent('gw2', 'gateway'), agent('gw3', 'gateway')])).filter((i) => i.includes('lb1'))).toEqual(['warning lb-unlinked:lb1']);
  });
});

describe('the public side and Core', () => {
  const edgeBeat = (ready: boolean) => ({ edge: { ready, reason: ready ? null : 'no link to Core', served: 10, failed: 0, inFlight: 0 } });
  const haproxy = (e1: boolean, e2: boolean) => ({ balancer: { nginx: { running: false, pid: null, reloads: 0, error: null }, locations: [], edges: { entries: [{ host: 'e1', inRotation: e1, status: e1 ? 'UP' : 'DOWN', check: e1 ? null : 'L4TOUT', sinceSeconds: 5 }, { host: 'e2', inRotation: e2, status: 'UP', check: null, sinceSeconds: 5 }], error: null } } });
  const pub = { locations: [], edges: ['e1', 'e2'], publicName: 'vpn.example.com', edgeBalancer: 'lb1' };
  test('ready edges in rotation: no problem; one out though ready; not ready; none in rotation', () => {
    expect(ids(facts(pub, [agent('e1', 'edge', edgeBeat(true)), agent('e2', 'edge', edgeBeat(true)), agent('lb1', 'balancer', haproxy(true, true))]))).toEqual([]);
    expect(ids(facts(pub, [agent('e1', 'edge', edgeBeat(true)), agent('e2', 'edge', edgeBeat(true)), agent('lb1', 'balancer', haproxy(false, true))]))).toEqual(['warning edge-out:e1']);
    expect(ids(facts(pub, [agent('e1', 'edge', edgeBeat(false)), agent('e2', 'edge', edgeBeat(true)), agent('lb1', 'balancer', haproxy(true, true))]))).toEqual(['warning edge-not-ready:e1']);
    expect(ids(facts(pub, [agent('e1', 'edge', edgeBeat(true)), agent('e2', 'edge', edgeBeat(true)), agent('lb1', 'balancer', haproxy(false, false))]))).toContain('critical no-edge:lb1');
    const t = buildTopology(facts(pub, [agent('e1', 'edge', edgeBeat(true)), agent('e2', 'edge', edgeBeat(true)), agent('lb1', 'balancer', haproxy(false, true))]));
    expect(t.edges.map((e) => [e.host, e.word, e.inRotation, e.state])).toEqual([['e1', 'out of rotation', false, 'warning'], ['e2', 'ready', true, 'ok']]);
    expect(t.balancers[0]!.edges).toEqual({ inRotation: ['e2'], out: ['e1'], error: null });
  });
  test('an edge not installed or unlinked, no public name, one edge only, lockouts, the CA near its end', () => {
    expect(ids(facts({ ...pub, edges: ['e1'], publicName: null, edgeBalancer: null }, []))).toEqual(['warning no-public-name', 'warning edge-uninstalled:e1', 'info one-edge']);
    expect(ids(facts({ ...pub, edgeBalancer: null }, [agent('e1', 'edge', {}, { state: 'down', reason: 'timeout' }), agent('e2', 'edge', edgeBeat(true))]))).toEqual(['warning edge-unlinked:e1']);
    expect(ids(facts({ lockouts: 2 }))).toEqual(['info lockouts']);
    const t = buildTopology(facts({ core: { version: '1.0.0', startedAt: '2026-12-06T11:00:00.000Z', caNotAfter: new Date(NOW + 30 * DAY).toISOString(), certNotAfter: null } }));
    expect(t.problems.map((p) => p.id)).toEqual(['ca-soon']);
    expect(t.core.state).toBe('warning');
  });
});
