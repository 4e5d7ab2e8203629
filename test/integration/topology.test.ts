// The topology between a real Core and scripted agents (real mutual TLS links): what topology.get
// folds from heartbeats, that a change reaches the event stream as a new revision, and that the
// CLI's --json and --dot say the same (the dot text parsed by Graphviz's dot where it is installed).
import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { StreamMessage, WS_PROTOCOL, WS_TOKEN_PREFIX, type Topology } from '../../src-main/contract/index.js';
import { topologyGraph } from '../../src-main/graph/topology-graph.js';
import { shapeOf } from '../../src-main/graph/topology-layout.js';
import { until } from '../helpers/agent.js';
import { scriptedVrrpLocation } from '../helpers/scripted-agent.js';
import { runCli, startInProcess } from '../helpers/server.js';
import { hasCommand } from '../helpers/tools.js';

const LINK = { heartbeatMs: 100, downAfterMs: 1500, minBackoffMs: 50, maxBackoffMs: 200 };
const vrrp = (role: 'MASTER' | 'BACKUP', holdsVip: boolean) => ({ vrrp: [{ location: 'ha', role, holdsVip }] });
const comparable = (t: Topology) => ({ ...t, at: '', revision: 0, core: { ...t.core, uptimeS: 0 } });

describe('the topology from the agents', () => {
  test('roles, the holder, a gateway lost with its problem and fix; each change on the stream; --json and --dot agree', async () => {
    await using srv = await startInProcess({ link: LINK });
    await srv.client.call('locations.create', { name: 'empty', network: '10.96.0.0/24', endpoint: '127.0.0.101:51820' });
    await srv.client.call('devices.add', { location: 'empty', name: 'orphan' });
    const { gwa: a, gwb: b } = await scriptedVrrpLocation(srv, 'ha', '10.95.0.0/24', '127.0.0.100', { gwa: '127.0.0.21', gwb: '127.0.0.22' });
    try {
      a.beat = vrrp('MASTER', true);
      b.beat = vrrp('BACKUP', false);

      // The stream (as the UI opens it): the topology at once, then each new revision.
      const seen: Topology[] = [];
      const ws = new WebSocket(`${srv.url.replace(/^http/, 'ws')}/api/v1/events?topology=1`, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${srv.token}`]);
      ws.onmessage = (m) => {
        const msg = StreamMessage.parse(JSON.parse(String(m.data)));
        if (msg.type === 'topology') seen.push(msg.topology);
      };
      try {
        await until('gwa master, gwb backup on the stream', async () => {
          const t = seen.at(-1);
          return t?.gateways.find((g) => g.host === 'gwa')?.word === 'master' && t.gateways.find((g) => g.host === 'gwb')?.word === 'backup';
        });
        const t = await srv.client.call('topology.get', {});
        expect(t.locations.find((l) => l.name === 'ha')).toMatchObject({ state: 'ok', word: 'serving', failover: { mode: 'vrrp', holders: ['gwa'] }, gateways: ['gwa', 'gwb'] });
        expect(t.gateways.find((g) => g.host === 'gwa')).toMatchObject({ state: 'ok', link: 'up', healthy: true, locations: [{ location: 'ha', role: 'MASTER', holdsVip: true }] });
        // The location with a device and no gateway is a critical problem, with the command that fixes it.
        expect(t.problems).toContainEqual(expect.objectContaining({ id: 'no-gateway:empty', node: 'location:empty', severity: 'critical', command: 'bulwark gateway add --location empty --host H' }));
        // The scripted agents report a config digest and version no apply made: shown, as information only.
        expect(t.problems.filter((p) => p.node.startsWith('gateway:') || p.node === 'location:ha').map((p) => [p.id, p.severity])).toEqual([
          ['drift:gateway:gwa', 'info'],
          ['version:gateway:gwa', 'info'],
          ['drift:gateway:gwb', 'info'],
          ['version:gateway:gwb', 'info'],
        ]);
        expect(t.gateways.find((g) => g.host === 'gwa')?.config).toBe('drift');

        // The master's agent goes silent: its link goes down, the backup takes the address.
        const before = seen.at(-1)!.revision;
        await a.close();
        b.beat = vrrp('MASTER', true);
        await until('gwb holds the address, gwa down, on the stream', async () => {
          const last = seen.at(-1)!;
          return last.gateways.find((g) => g.host === 'gwb')?.locations[0]?.holdsVip === true && last.gateways.find((g) => g.host === 'gwa')?.state === 'down';
        });
        const after = seen.at(-1)!;
        expect(after.revision).toBeGreaterThan(before);
        expect(after.gateways.find((g) => g.host === 'gwa')).toMatchObject({ word: 'link down', link: 'down' });
        expect(after.problems).toContainEqual(expect.objectContaining({ id: 'unlinked:gateway:gwa', node: 'gateway:gwa', severity: 'warning', command: 'bulwark provision plan --host gwa', action: { kind: 'plan', host: 'gwa', location: null } }));
        expect(after.locations.find((l) => l.name === 'ha')).toMatchObject({ word: 'degraded', failover: { holders: ['gwb'] } });
      } finally {
        ws.close();
      }

      const json = await runCli(['--data-dir', srv.dataDir, 'topology', '--json']);
      expect(json.code).toBe(1);
      expect(comparable(JSON.parse(json.stdout) as Topology)).toEqual(comparable(await srv.client.call('topology.get', {})));
      const human = await runCli(['--data-dir', srv.dataDir, 'topology']);
      expect(human.stdout).toMatch(/^Location ha \(10\.95\.0\.0\/24\): DEGRADED; floating IP 127\.0\.0\.100\/8 on gwb;/m);
      expect(human.stdout.indexOf('Problems (')).toBeGreaterThan(human.stdout.indexOf('Location ha'));
      expect(human.stdout).toMatch(/^CRITICAL location:empty: location empty has no gateway: its device cannot connect\n\s+fix: bulwark gateway add --location empty --host H$/m);

      const dot = await runCli(['--data-dir', srv.dataDir, 'topology', '--dot']);
      expect(dot.stdout).toMatch(/^digraph bulwark \{/);
      for (const id of ['core', 'location:ha', 'gateway:gwa', 'gateway:gwb', 'devices:ha']) expect(dot.stdout).toContain(`"${id}" [label=`);
      expect(dot.stdout).toMatch(/"gateway:gwb" \[label="gwb \[floating IP\]\\nmaster/);
      if (hasCommand('dot')) {
        const parsed = spawnSync('dot', ['-Tjson'], { input: dot.stdout, encoding: 'utf8' });
        expect(parsed.status, parsed.stderr).toBe(0);
        const names = (JSON.parse(parsed.stdout) as { objects: { name: string }[] }).objects.map((o) => o.name);
        expect(names.sort()).toEqual((await srv.client.call('topology.get', {})).gateways.map((g) => g.id).concat(['core', 'location:ha', 'location:empty', 'devices:ha', 'devices:empty']).sort());
      } else if (process.env.CI) {
        throw new Error('dot (Graphviz) is missing: .ci/run installs graphviz');
      }
    } finally {
      await b.close();
    }
  });

  test("topology.layout: Core's layout places every node of the map, and follows a location added", async () => {
    await using srv = await startInProcess({ link: LINK });
    await srv.client.call('locations.create', { name: 'hq', network: '10.97.0.0/24', endpoint: '127.0.0.102:51820' });
    const shapeNow = async () => {
      const g = topologyGraph(await srv.client.call('topology.get', {}));
      return { ids: g.nodes.map((n) => n.id), shape: shapeOf(g.nodes.map((n) => n.id), g.edges) };
    };
    const first = await srv.client.call('topology.layout', {});
    const now = await shapeNow();
    expect(first.shape).toBe(now.shape);
    expect(Object.keys(first.places).sort()).toEqual([...now.ids].sort());

    await srv.client.call('locations.create', { name: 'branch', network: '10.98.0.0/24', endpoint: '127.0.0.103:51820' });
    const second = await srv.client.call('topology.layout', {});
    expect(second.shape).toBe((await shapeNow()).shape);
    expect(second.places['location:branch']).toBeDefined();
    expect(second.places['devices:branch']!.x).toBeGreaterThan(second.places['location:branch']!.x);
  });
});
