import { describe, expect, test } from 'vitest';
import type { CoreEvent } from '../../src-main/contract/index.js';
import { gist, groupOf, pageOf } from './event-text.js';

const ev = (kind: string, details: Record<string, unknown>, subject = 's') => ({ id: 1, time: '2026-12-06T00:00:00Z', actor: 'core', origin: '', kind, subject, details }) as unknown as CoreEvent;

describe('what the feed says of an event', () => {
  test("a provisioning step's host, step and result; a failure's message", () => {
    expect(gist(ev('provision.step', { run: 'r', host: 'gw1', step: 'copy', status: 'ok' }))).toBe('gw1: copy ok');
    expect(gist(ev('provision.step', { run: 'r', host: 'gw1', step: 'verify', status: 'failed', message: 'agent not up' }))).toBe('gw1: verify failed: agent not up');
    expect(gist(ev('provision.finished', { run: 'r', ok: false, outcomes: {} }))).toBe('not every host applied');
  });
  test("a link's state and why", () => {
    expect(gist(ev('link.up', { host: 'gw1', role: 'gateway', reason: null, healthy: true, was: 'down' }))).toBe('up');
    expect(gist(ev('link.up', { host: 'gw1', role: 'gateway', reason: null, healthy: false, was: 'up' }))).toBe('up, unhealthy');
    expect(gist(ev('link.down', { host: 'gw1', role: 'gateway', reason: 'no heartbeat for 3 s', healthy: null, was: 'up' }))).toBe('no heartbeat for 3 s');
    expect(gist(ev('device.added', {}))).toBeNull();
  });
  test('a LAN or system set by hand; a rotated signing key', () => {
    expect(gist(ev('host.updated', { lan: { from: null, to: '198.51.100.11/24 on eth0' } }))).toBe('LAN 198.51.100.11/24 on eth0 (set by hand)');
    expect(gist(ev('host.updated', { lan: { from: null, to: '198.51.100.11/24 on eth0' }, platform: { from: null, to: 'debian-12 x86_64' } }))).toBe('LAN 198.51.100.11/24 on eth0; system debian-12 x86_64 (set by hand)');
    expect(gist(ev('bundle.key_rotated', { from: 'SHA256:a', to: 'SHA256:b' }))).toBe('signing key now SHA256:b');
    expect(gist(ev('core.backed_up', { id: 'x', size: 2_400_000, schema: 16 }))).toMatch(/^backup of 2\.\d MiB$/);
  });
  test('groups', () => {
    expect(['provision.step', 'link.down', 'mfa.failed', 'device.added', 'failover.measured'].map(groupOf)).toEqual(['provisioning', 'links', 'public', 'changes', 'links']);
  });
  test('the page an event is about', () => {
    expect(pageOf(ev('provision.step', { run: 'ui-1234abcd', host: 'gw1' }, 'host:gw1'))).toEqual({ kind: 'run', id: 'ui-1234abcd' });
    expect(pageOf(ev('host.pinned', {}, 'host:gw1'))).toEqual({ kind: 'host', name: 'gw1' });
    expect(pageOf(ev('device.added', {}, 'device:hq/anna/2'))).toEqual({ kind: 'device', location: 'hq', name: 'anna/2' });
    expect(pageOf(ev('gateway.added', {}, 'gateway:hq/gw1'))).toEqual({ kind: 'location', name: 'hq' });
    expect(pageOf(ev('location.updated', {}, 'location:hq'))).toEqual({ kind: 'location', name: 'hq' });
    expect(pageOf(ev('link.up', {}, 'agent:gateway:gw1'))).toBeNull();
    expect(pageOf(ev('core.backed_up', { id: 'x', size: 1, schema: 16 }, 'core'))).toEqual({ kind: 'backup' });
  });
});
