import { describe, expect, test } from 'vitest';
import { EDGES_GROUP, planRollout, type LiveGateway, type RolloutInput, type RolloutLocation } from './rollout-plan.js';

const gw = (host: string, holdsVip: boolean | null = false, ready = true): LiveGateway => ({ host, ready, why: ready ? null : 'link down', holdsVip });
const vrrp = (name: string, gateways: LiveGateway[]): RolloutLocation => ({ name, mode: 'vrrp', gateways, balancer: null });
const input = (changing: string[], locations: RolloutLocation[], extra: Partial<RolloutInput> = {}): RolloutInput => ({ order: 'rolling', changing, locations, lastRestartMs: new Map(), ...extra });
const waves = (r: ReturnType<typeof planRollout>) => r.waves.map((w) => w.hosts.map((h) => h.host));

describe('planRollout', () => {
  test('vrrp: the backup first, then the master, which hands over to the backup', () => {
    const r = planRollout(input(['gw1', 'gw2'], [vrrp('hq', [gw('gw1', true), gw('gw2')])]));
    expect(waves(r)).toEqual([['gw2'], ['gw1']]);
    expect(r.waves[1]!.hosts[0]!.handovers).toEqual([{ location: 'hq', to: ['gw2'] }]);
    expect(r.waves[0]!.hosts[0]!.handovers).toEqual([]);
    expect(r.outages).toEqual([]);
  });

  test('vrrp with three gateways: the backups one at a time, the master last', () => {
    const r = planRollout(input(['a', 'b', 'c'], [vrrp('hq', [gw('a', true), gw('b'), gw('c')])]));
    expect(waves(r)).toEqual([['b'], ['c'], ['a']]);
  });

  test('hosts of no failover location go first, together; unchanged hosts get no turn', () => {
    const r = planRollout(input(['edge1', 'lb1', 'gw1'], [vrrp('hq', [gw('gw1', true), gw('gw2')])]));
    expect(waves(r)).toEqual([['edge1', 'lb1'], ['gw1']]);
    expect(r.waves[1]!.hosts[0]!.handovers).toEqual([{ location: 'hq', to: ['gw2'] }]);
  });

  test('edges change one at a time, beside the gateways, handing over and draining nothing', () => {
    const edges: RolloutLocation = { name: EDGES_GROUP, mode: 'edges', gateways: [gw('e1', null), gw('e2', null)], balancer: null };
    const r = planRollout(input(['e1', 'e2', 'gw1'], [edges, vrrp('hq', [gw('gw1', true), gw('gw2')])]));
    expect(waves(r)).toEqual([['e1', 'gw1'], ['e2']]);
    expect(r.waves.flatMap((w) => w.hosts.flatMap((h) => [...h.handovers, ...h.drains])).filter((x) => 'balancer' in x || x.location === EDGES_GROUP)).toEqual([]);
    expect(r.outages).toEqual([]);
    // The other edge is down: changing this one leaves the public side with none, and the plan says so.
    const alone = planRollout(input(['e1'], [{ ...edges, gateways: [gw('e1', null), gw('e2', null, false)] }]));
    expect(alone.outages).toEqual([{ location: EDGES_GROUP, message: 'the public side (enrollment and MFA) is unavailable while e1 is changed: no other edge is ready (e2: link down)' }]);
    // One edge: a warning in the edges' words, not a gateway's.
    const one = planRollout(input(['e1'], [{ ...edges, gateways: [gw('e1', null)] }]));
    expect(one.warnings).toEqual([{ location: EDGES_GROUP, message: 'there is one edge, e1: enrollment and MFA are unavailable while its agent restarts; add a second edge ("bulwark edge add --host H") to change it without an outage' }]);
    expect(planRollout(input(['e1', 'e2'], [edges], { order: 'all_at_once' })).outages.map((o) => o.message)).toEqual(['every edge changes at the same moment (all at once): enrollment and MFA are unavailable until one is back']);
  });

  test('locations that share no gateway roll side by side', () => {
    const r = planRollout(input(['a1', 'a2', 'b1', 'b2'], [vrrp('a', [gw('a1', true), gw('a2')]), vrrp('b', [gw('b1'), gw('b2', true)])]));
    expect(waves(r)).toEqual([['a2', 'b1'], ['a1', 'b2']]);
  });

  test('a host in two locations waits for both; masters go after the backups of their locations', () => {
    // x is backup in hq and master in branch; y is master in hq; z is backup in branch.
    const r = planRollout(input(['x', 'y', 'z'], [vrrp('hq', [gw('x'), gw('y', true)]), vrrp('branch', [gw('x', true), gw('z')])]));
    expect(waves(r)).toEqual([['z'], ['x'], ['y']]);
    expect(r.warnings).toEqual([]);
  });

  test('masters of each other\'s locations: one goes first, and the plan says its address moves twice', () => {
    const r = planRollout(input(['x', 'y'], [vrrp('hq', [gw('x', true), gw('y')]), vrrp('branch', [gw('x'), gw('y', true)])]));
    expect(waves(r)).toEqual([['x'], ['y']]);
    expect(r.warnings.map((w) => w.location)).toEqual(['hq']);
    expect(r.warnings[0]!.message).toMatch(/moves twice/);
  });

  test('a master with no ready standby is an outage that names why', () => {
    const r = planRollout(input(['gw1'], [vrrp('hq', [gw('gw1', true), gw('gw2', false, false)])]));
    expect(r.outages).toEqual([{ location: 'hq', message: 'location hq loses service while gw1 is changed: no other gateway is ready to take its clients (gw2: link down)' }]);
  });

  test('a backup changed while the master is not linked is no outage: the master keeps serving', () => {
    const r = planRollout(input(['gw2'], [vrrp('hq', [gw('gw1', true, false), gw('gw2', false)])]));
    expect(r.outages).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  test('an unknown holder: every gateway is ready to hand over, and the plan says Core cannot see it', () => {
    const r = planRollout(input(['gw1', 'gw2'], [vrrp('hq', [gw('gw1', null), gw('gw2', null)])]));
    expect(waves(r)).toEqual([['gw1'], ['gw2']]);
    expect(r.waves.flatMap((w) => w.hosts.flatMap((h) => h.handovers))).toHaveLength(2);
    expect(r.warnings[0]!.message).toMatch(/cannot see which gateway holds/);
  });

  test('lb: one gateway at a time, each drained at its balancer', () => {
    const lb: RolloutLocation = { name: 'hq', mode: 'lb', gateways: [gw('gw1', null), gw('gw2', null)], balancer: 'lb1' };
    const r = planRollout(input(['gw1', 'gw2', 'lb1'], [lb]));
    expect(waves(r)).toEqual([['lb1'], ['gw1'], ['gw2']]);
    expect(r.waves[1]!.hosts[0]!.drains).toEqual([{ location: 'hq', balancer: 'lb1' }]);
    expect(r.waves[1]!.hosts[0]!.handovers).toEqual([]);
  });

  test('a location with one gateway warns, with its last restart time', () => {
    const one: RolloutLocation = { name: 'branch', mode: 'vrrp', gateways: [gw('gw9', true)], balancer: null };
    const r = planRollout(input(['gw9'], [one], { lastRestartMs: new Map([['gw9', 2140]]) }));
    expect(waves(r)).toEqual([['gw9']]);
    expect(r.warnings).toEqual([
      { location: 'branch', message: "location branch has one gateway, gw9: its clients lose the tunnel while gw9's units restart (the last restart there took 2.1 s); add a second gateway with failover to change it without an outage" },
    ]);
    expect(r.outages).toEqual([]);
  });

  test('all at once: one wave, no handovers, and each failover location whose gateways all change is an outage', () => {
    const r = planRollout(input(['gw1', 'gw2', 'edge1'], [vrrp('hq', [gw('gw1', true), gw('gw2')])], { order: 'all_at_once' }));
    expect(waves(r)).toEqual([['edge1', 'gw1', 'gw2']]);
    expect(r.waves[0]!.hosts.every((h) => h.handovers.length === 0)).toBe(true);
    expect(r.outages.map((o) => o.location)).toEqual(['hq']);
  });

  test('nothing changing: no waves', () => {
    expect(planRollout(input([], [vrrp('hq', [gw('gw1', true), gw('gw2')])])).waves).toEqual([]);
  });

  test('a first install serves nobody yet: one at a time, but no handover, no drain and no outage', () => {
    const r = planRollout(input(['gw1', 'gw2'], [vrrp('hq', [gw('gw1', null, false), gw('gw2', null, false)])], { quiet: new Set(['gw1', 'gw2']) }));
    expect(waves(r)).toEqual([['gw1'], ['gw2']]);
    expect(r.waves.flatMap((w) => w.hosts.flatMap((h) => [...h.handovers, ...h.drains]))).toEqual([]);
    expect(r.outages).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  test('a change that only reloads keepalived: still one at a time, but the master keeps its address', () => {
    const r = planRollout(input(['gw1', 'gw2'], [vrrp('hq', [gw('gw1', true), gw('gw2', false, false)])], { quiet: new Set(['gw1', 'gw2']) }));
    expect(waves(r)).toEqual([['gw2'], ['gw1']]);
    expect(r.waves.flatMap((w) => w.hosts.flatMap((h) => h.handovers))).toEqual([]);
    expect(r.outages).toEqual([]);
  });

  test('a master whose keepalived also carries a lone gateway\'s address does not hand over (stopping it would cut that location off)', () => {
    const r = planRollout(input(['gw1', 'gw2'], [vrrp('hq', [gw('gw1', true), gw('gw2')])], { canHandOver: new Set(['gw2']) }));
    expect(r.waves.flatMap((w) => w.hosts.flatMap((h) => h.handovers))).toEqual([]);
  });
});
