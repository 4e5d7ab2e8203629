// The plan is pure: desired files and units against what a host reported. These cases are the
// decisions an admin relies on: nothing to do means nothing touched, a config change restarts
// only its agent, files Bulwark installed before and no longer wants are removed.
import { describe, expect, test } from 'vitest';
import { DIFF_LINE_CAP, type HostManifest } from '../../contract/index.js';
import { desiredHost, type Artifacts, type HostModel } from './desired-state.js';
import { configsToDiff, planChanges, shortDiff } from './host-plan.js';
import { isUpToDate, type ObservedHost } from '../../host-state/changes.js';

const art = (name: string, size = 10) => ({ localPath: `/build/${name}`, sha256: name.padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a'), size });
const artifacts: Artifacts = { runtime: art('runtime', 99_000_000), gateway: art('gateway'), edge: art('edge'), balancer: art('balancer'), hostApply: art('hostapply') };
const office = { name: 'office', interface: 'bw-office', privateKeyFile: '/etc/bulwark/wg/office.key', network: '10.20.0.0/24', gatewayAddress: '10.20.0.1', listenPort: 51820, publicKey: 'k', mfa: false, disconnectThreshold: 300 };
const tls = { caPem: 'CA PEM\n', agents: { gateway: { certPem: 'CERT\n', keyPem: 'KEY\n' }, edge: { certPem: 'ECERT\n', keyPem: 'EKEY\n' } } };
const gateway: HostModel = { name: 'gw-1', gatewayLocations: [office], edge: false,
  keepalived: null, lanHealth: null, balancer: null, edgeTrustedProxies: [], edgeBalancer: null, controlAddress: '0.0.0.0', tls, locationKeys: { office: 'PRIVATE-KEY-OF-OFFICE' } };

/** A host that has exactly what `model` wants, with its units running. */
function installed(model: HostModel): ObservedHost {
  const d = desiredHost(model, artifacts);
  const manifest: HostManifest = { version: 1, run: 'r', appliedAt: 't', files: d.files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })), units: d.units.map((u) => u.unit), dirs: [] };
  return { files: new Map(d.files.map((f) => [f.path, { sha256: f.sha256, mode: f.mode }])), manifest, activeUnits: new Set(d.units.map((u) => u.unit)) };
}

const empty: ObservedHost = { files: new Map(), manifest: null, activeUnits: new Set() };

describe('desiredHost', () => {
  test('a gateway gets the runtime, its agent, TLS files, config and unit, in install order', () => {
    const d = desiredHost(gateway, artifacts);
    expect(d.files.map((f) => [f.path, f.kind, f.mode.toString(8), f.secret])).toEqual([
      ['/opt/bulwark/bin/node', 'runtime', '755', false],
      ['/opt/bulwark/gateway/agent.mjs', 'program', '644', false],
      ['/etc/bulwark/tls/ca.pem', 'certificate', '644', false],
      ['/etc/bulwark/tls/gateway.pem', 'certificate', '644', false],
      ['/etc/bulwark/tls/gateway.key', 'key', '600', true],
      ['/etc/bulwark/wg/office.key', 'key', '600', true],
      ['/etc/bulwark/gateway.json', 'config', '640', false],
      ['/etc/systemd/system/bulwark-gateway.service', 'unit', '644', false],
    ]);
    // A renewed certificate is picked up by the agent without a restart.
    expect(d.units[0]!.dependsOn).not.toContain('/etc/bulwark/tls/gateway.pem');
    expect(d.units.map((u) => u.unit)).toEqual(['bulwark-gateway.service']);
    expect(d.roles).toEqual(['gateway:office']);
  });

  test('a host with no role wants nothing, not even the runtime', () => {
    expect(desiredHost({ ...gateway, gatewayLocations: [], edge: false }, artifacts).files).toEqual([]);
  });
});

describe('planChanges', () => {
  const vrrpGateway: HostModel = {
    ...gateway,
    keepalived: { host: 'gw-1', notifyFifo: '/run/bulwark/keepalived.fifo', instances: [{ location: 'office', interface: 'eth0', routerId: 1, advertInterval: 0.1, vip: '198.51.100.25/27', unicast: null, trackFile: '/run/bulwark/track-office' }] },
  };

  test('only keepalived.conf changed: keepalived reloads in place, nothing restarts', () => {
    const before = installed(vrrpGateway);
    const after = { ...vrrpGateway, keepalived: { ...vrrpGateway.keepalived!, instances: [{ ...vrrpGateway.keepalived!.instances[0]!, advertInterval: 0.2 }] } };
    const c = planChanges(desiredHost(after, artifacts), before);
    expect(c.files.map((f) => f.path)).toEqual(['/etc/bulwark/keepalived.conf']);
    expect(c.units).toEqual([{ unit: 'bulwark-keepalived.service', action: 'reload' }]);
  });

  test('restartAll restarts every running unit although nothing changed (after a package upgrade)', () => {
    const c = planChanges(desiredHost(vrrpGateway, artifacts), installed(vrrpGateway), new Map(), { restartAll: true });
    expect(c.files).toEqual([]);
    expect(c.units).toEqual([
      { unit: 'bulwark-gateway.service', action: 'restart' },
      { unit: 'bulwark-keepalived.service', action: 'restart' },
    ]);
    expect(isUpToDate(c)).toBe(false);
  });

  test('from nothing: every file is added and the unit started', () => {
    const c = planChanges(desiredHost(gateway, artifacts), empty);
    expect(c.files.map((f) => `${f.action} ${f.path}`)).toHaveLength(8);
    expect(c.files.every((f) => f.action === 'add')).toBe(true);
    expect(c.units).toEqual([{ unit: 'bulwark-gateway.service', action: 'start' }]);
    expect(c.reload).toBe(true);
    expect(c.files.find((f) => f.kind === 'config')?.diff).toMatch(/^\+ {2}"role": "gateway",$/m);
    expect(c.files.find((f) => f.kind === 'runtime')?.diff).toBeNull();
  });

  test('nothing changed and the agent runs: up to date', () => {
    expect(isUpToDate(planChanges(desiredHost(gateway, artifacts), installed(gateway)))).toBe(true);
  });

  test('a stopped agent with unchanged files is started again', () => {
    const seen = { ...installed(gateway), activeUnits: new Set<string>() };
    expect(planChanges(desiredHost(gateway, artifacts), seen)).toMatchObject({ files: [], units: [{ unit: 'bulwark-gateway.service', action: 'start' }], reload: false });
  });

  test('a location change: one config, a short diff, one restart, no daemon-reload', () => {
    const changed: HostModel = { ...gateway, gatewayLocations: [{ ...office, disconnectThreshold: 600 }] };
    const seen = installed(gateway);
    const before = desiredHost(gateway, artifacts).files.find((f) => f.kind === 'config')!;
    const texts = new Map([[before.path, before.source.kind === 'text' ? before.source.text : '']]);
    expect(configsToDiff(desiredHost(changed, artifacts), seen)).toEqual(['/etc/bulwark/gateway.json']);
    const c = planChanges(desiredHost(changed, artifacts), seen, texts);
    expect(c.files).toHaveLength(1);
    expect(c.files[0]).toMatchObject({ path: '/etc/bulwark/gateway.json', action: 'change', kind: 'config' });
    expect(c.files[0]!.diff).toContain('-      "disconnectThreshold": 300,\n+      "disconnectThreshold": 600,');
    expect(c.units).toEqual([{ unit: 'bulwark-gateway.service', action: 'restart' }]);
    expect(c.reload).toBe(false);
  });

  test('a mode change alone is a change, and says so', () => {
    const seen = installed(gateway);
    seen.files.set('/etc/bulwark/gateway.json', { ...seen.files.get('/etc/bulwark/gateway.json')!, mode: 0o644 });
    const cfg = desiredHost(gateway, artifacts).files.find((f) => f.kind === 'config')!;
    const c = planChanges(desiredHost(gateway, artifacts), seen, new Map([[cfg.path, cfg.source.kind === 'text' ? cfg.source.text : '']]));
    expect(c.files[0]!.diff).toMatch(/mode 644 -> 640$/);
  });

  test('a role taken away: its files are removed and its unit stopped; the rest stays', () => {
    const both: HostModel = { ...gateway, edge: true };
    const c = planChanges(desiredHost(gateway, artifacts), installed(both));
    expect(c.files.map((f) => `${f.action} ${f.path}`).sort()).toEqual([
      'remove /etc/bulwark/edge.json',
      'remove /etc/bulwark/tls/edge.key',
      'remove /etc/bulwark/tls/edge.pem',
      'remove /etc/systemd/system/bulwark-edge.service',
      'remove /opt/bulwark/edge/agent.mjs',
    ]);
    expect(c.units).toEqual([{ unit: 'bulwark-edge.service', action: 'stop' }]);
    expect(c.reload).toBe(true);
  });

  test('a certificate not issued yet and a key made at apply have no size yet, and a key is never shown', () => {
    const d = desiredHost({ ...gateway, tls: { caPem: 'CA\n', agents: { gateway: null } } }, artifacts);
    const c = planChanges(d, installed(gateway));
    expect(c.files.filter((f) => f.kind === 'certificate' || f.kind === 'key').map((f) => [f.path, f.kind, f.action, f.size, f.secret, f.diff])).toEqual([
      ['/etc/bulwark/tls/ca.pem', 'certificate', 'change', 3, false, null],
      ['/etc/bulwark/tls/gateway.pem', 'certificate', 'change', null, false, null],
      ['/etc/bulwark/tls/gateway.key', 'key', 'change', null, true, null],
    ]);
  });

  test('a secret file is never diffed', () => {
    const d = desiredHost(gateway, artifacts);
    const cfg = d.files.find((f) => f.kind === 'config')!;
    cfg.secret = true;
    const c = planChanges(d, empty);
    expect(c.files.find((f) => f.path === cfg.path)).toMatchObject({ secret: true, diff: null });
    expect(configsToDiff(d, installed({ ...gateway, gatewayLocations: [{ ...office, mfa: true }] }))).not.toContain(cfg.path);
  });
});

test('shortDiff cuts very long diffs and keeps two lines of context', () => {
  const before = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
  const after = before.replace(/line (\d*5)\b/g, 'LINE $1');
  const d = shortDiff('/etc/x', before, after);
  expect(d.split('\n')).toHaveLength(DIFF_LINE_CAP + 1);
  expect(d).toMatch(/^… \d+ more lines$/m);
  expect(shortDiff('/etc/x', 'a\nb\nc\nd\ne\nf\n', 'a\nb\nc\nD\ne\nf\n')).toBe('--- /etc/x\n+++ /etc/x\n@@ -2,5 +2,5 @@\n b\n c\n-d\n+D\n e\n f');
});
