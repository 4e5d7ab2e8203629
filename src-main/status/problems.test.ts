import { describe, expect, test } from 'vitest';
import type { BalancerView, RotationEntry } from '../contract/index.js';
import { lbProblems as lbFound, vrrpProblems as vrrpFound } from './problems.js';

const vrrpProblems = (vip: string, gws: Parameters<typeof vrrpFound>[2]) => vrrpFound('hq', vip, gws).map((p) => p.text);
const lbProblems = (lb: Parameters<typeof lbFound>[1], rotation: Parameters<typeof lbFound>[2]) => lbFound('hq', lb, rotation).map((p) => p.text);

const gw = (host: string, linked: boolean, holdsVip: boolean, runsVrrp = true) => ({ host, linked, runsVrrp, holdsVip });
const view = (running: boolean, error: string | null): BalancerView => ({ nginx: { running, pid: running ? 42 : null, reloads: 1, error }, locations: [] });
const entry = (host: string, inRotation: boolean, healthy: boolean | null, reason: string | null = null): RotationEntry => ({ host, inRotation, healthy, since: '2026-01-01T00:00:00.000Z', reason });

describe('vrrp problems', () => {
  test('saved but not applied (no linked gateway runs keepalived for it): a change waiting for an apply, with the plan', () => {
    const found = vrrpFound('hq', '10.0.0.100', [gw('a', true, false, false), gw('b', true, false, false)]);
    expect(found).toEqual([expect.objectContaining({ id: 'vrrp-pending:hq', severity: 'warning', command: 'bulwark provision plan --location hq', action: { kind: 'plan', host: null, location: 'hq' } })]);
    expect(found[0]!.text).toBe('the floating IP 10.0.0.100 waits for an apply: no gateway runs keepalived for hq yet, so clients that dial it cannot connect until the apply');
    // Once one gateway runs it, keepalived's own state counts again.
    expect(vrrpProblems('10.0.0.100', [gw('a', true, false, true), gw('b', true, false, false)])).toEqual([expect.stringMatching(/^no gateway holds the floating IP/)]);
  });
  test('one holder: none', () => {
    expect(vrrpProblems('10.0.0.100', [gw('a', true, true), gw('b', true, false)])).toEqual([]);
  });
  test('two holders: split brain, naming both', () => {
    expect(vrrpProblems('10.0.0.100', [gw('a', true, true), gw('b', true, true)])).toEqual([expect.stringMatching(/^split brain: the floating IP 10\.0\.0\.100 is on a and b at once/)]);
  });
  test('no holder and every gateway seen: clients cannot connect', () => {
    expect(vrrpProblems('10.0.0.100', [gw('a', true, false), gw('b', true, false)])).toEqual([expect.stringMatching(/^no gateway holds the floating IP 10\.0\.0\.100: clients cannot connect/)]);
  });
  test('no linked holder while some gateways are unseen: names them', () => {
    expect(vrrpProblems('10.0.0.100', [gw('a', true, false), gw('b', false, false)])).toEqual(['no linked gateway holds the floating IP 10.0.0.100; Core cannot see b']);
  });
  test('a holder Core cannot see does not count', () => {
    expect(vrrpProblems('v', [gw('a', false, true)])).toEqual(['no linked gateway holds the floating IP v; Core cannot see a']);
  });
  test('no gateways: nothing to say', () => {
    expect(vrrpProblems('v', [])).toEqual([]);
  });
});

describe('load balancer problems', () => {
  test('no link: the reason, or how to provision it', () => {
    expect(lbProblems({ host: 'lb', linked: false, reason: null, view: null }, null)).toEqual([expect.stringContaining('Core has no link with the load balancer lb (not installed yet: an apply installs it)')]);
    expect(lbProblems({ host: 'lb', linked: false, reason: 'the host is unreachable (EHOSTUNREACH)', view: null }, null)[0]).toContain('(the host is unreachable (EHOSTUNREACH))');
  });
  test('nginx stopped, with its error', () => {
    expect(lbProblems({ host: 'lb', linked: true, reason: null, view: view(false, 'bind failed') }, [])).toEqual([expect.stringMatching(/^nginx is not running on the load balancer lb: bind failed; clients cannot connect/)]);
  });
  test('nginx refused the newest rotation but still runs', () => {
    expect(lbProblems({ host: 'lb', linked: true, reason: null, view: view(true, 'nginx -t failed') }, [])).toEqual([expect.stringMatching(/could not put its latest rotation into nginx \(nginx -t failed\); nginx still runs the one before/)]);
  });
  test('a gateway out of rotation, and one failing but kept', () => {
    const rotation = [entry('a', false, false, 'HTTP 503'), entry('b', true, false, 'timeout'), entry('c', true, true)];
    expect(lbProblems({ host: 'lb', linked: true, reason: null, view: view(true, null) }, rotation)).toEqual([
      expect.stringMatching(/^gateway a is out of the load balancer's rotation since 2026-01-01T00:00:00.000Z: HTTP 503/),
      'gateway b fails its health check (timeout) but stays in rotation: it has not failed often enough yet',
    ]);
  });
  test('when no gateway passes, all stay in rotation and the text says why', () => {
    expect(lbProblems({ host: 'lb', linked: true, reason: null, view: view(true, null) }, [entry('a', true, false), entry('b', true, false)])[0]).toBe(
      'gateway a fails its health check (no reason given) but stays in rotation: no gateway passes, so the load balancer keeps sending to all',
    );
  });
});
