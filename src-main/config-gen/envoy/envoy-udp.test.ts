// Test data source: testdata/*.json are hand-written models; the .yaml files are the generator's
// reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// There is no Envoy binary on this machine, so the output is parsed back and its meaning
// checked here; the health path it names is checked against a real gateway in test/lab/lb.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { renderEnvoyUdp, type EnvoyModel } from './envoy-udp.js';

const dir = join(import.meta.dirname, 'testdata');
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
const load = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as EnvoyModel;

interface Bootstrap {
  static_resources: {
    listeners: { name: string; address: { socket_address: { protocol: string; port_value: number } }; listener_filters: { name: string; typed_config: Record<string, unknown> }[] }[];
    clusters: {
      name: string;
      lb_policy: string;
      load_assignment: { endpoints: { lb_endpoints: { endpoint: { hostname: string; address: { socket_address: { protocol: string; address: string; port_value: number } }; health_check_config: { port_value: number } } }[] }[] };
      health_checks: { unhealthy_threshold: number; healthy_threshold: number; interval: string; http_health_check: { path: string } }[];
    }[];
  };
}

describe('renderEnvoyUdp', () => {
  test.each(cases)('%s matches its golden file', async (name) => {
    await expect(renderEnvoyUdp(load(name))).toMatchFileSnapshot(join(dir, `${name}.yaml`));
  });

  test('a UDP listener per location, sticky by source address, health-checked on the gateway agent', () => {
    const b = parse(renderEnvoyUdp(load('two-locations'))) as Bootstrap;
    const { listeners, clusters } = b.static_resources;
    expect(listeners.map((l) => [l.name, l.address.socket_address.protocol, l.address.socket_address.port_value])).toEqual([
      ['bw_branch_2', 'UDP', 51821],
      ['bw_hq', 'UDP', 51820],
    ]);
    const proxy = listeners[1]!.listener_filters[0]!;
    expect(proxy.name).toBe('envoy.filters.udp_listener.udp_proxy');
    expect(proxy.typed_config.hash_policies).toEqual([{ source_ip: true }]);
    expect(proxy.typed_config.idle_timeout).toBe('60s');
    const hq = clusters.find((c) => c.name === 'bw_hq')!;
    expect(hq.lb_policy).toBe('RING_HASH');
    expect(hq.load_assignment.endpoints[0]!.lb_endpoints.map((e) => [e.endpoint.hostname, e.endpoint.address.socket_address.address, e.endpoint.health_check_config.port_value])).toEqual([
      ['gw1', '198.51.100.11', 9463],
      ['gw2', '198.51.100.12', 9463],
    ]);
    expect(hq.health_checks[0]).toMatchObject({ interval: '1s', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/healthz/location/hq' } });
  });

  test('what Envoy would misread is refused, not written', () => {
    const m = load('two-locations');
    expect(() => renderEnvoyUdp({ ...m, listenAddress: '0.0.0.0\nadmin: {}' })).toThrow(/listen address/);
    expect(() => renderEnvoyUdp({ ...m, locations: [{ ...m.locations[0]!, gateways: [] }] })).toThrow(/has gateways/);
  });
});
