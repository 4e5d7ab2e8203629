import { expect, test } from 'vitest';
import type { HostPlan } from '../../../src-main/contract/index.js';
import { hostGist, planSentence, planTotals } from './plan-summary.js';

const file = (path: string, action: 'add' | 'change' | 'remove') => ({ path, action, kind: 'config' as const, size: 10, diff: null, secret: false });
const host = (name: string, status: HostPlan['status'], files: HostPlan['files'] = [], units: HostPlan['units'] = []): HostPlan => ({ host: name, roles: [], status, files, units, error: null });

test('the plan in one sentence counts hosts, files and units', () => {
  const hosts = [
    host('gw1', 'changes', [file('/a', 'add'), file('/b', 'change')], [{ unit: 'bulwark-gateway.service', action: 'restart' }]),
    host('gw2', 'changes', [file('/a', 'add')]),
    host('edge1', 'up_to_date'),
    host('lb', 'error'),
  ];
  expect(planSentence(planTotals(hosts))).toBe('2 hosts to change (3 files, 1 unit), 1 up to date, 1 cannot be planned.');
  expect(planSentence(planTotals([host('gw1', 'up_to_date'), host('gw2', 'up_to_date')]))).toBe('Every host is up to date (2).');
  expect(planSentence(planTotals([]))).toBe('No host in this scope has a role yet.');
});

test("a host's gist says what its files and units do", () => {
  const h = host('gw1', 'changes', [file('/a', 'add'), file('/b', 'add'), file('/c', 'remove')], [{ unit: 'keepalived.service', action: 'reload' }]);
  expect(hostGist(h)).toBe('files: 2 added, 1 removed; reload keepalived.service');
  expect(hostGist(host('gw1', 'up_to_date'))).toBe('nothing to change');
});
