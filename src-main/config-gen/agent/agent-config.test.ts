// Test data source: testdata/*.model.json are hand-written models; the .json next to each is the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BalancerAgentConfig, EdgeAgentConfig, GatewayAgentConfig } from '../../contract/index.js';
import { renderBalancerConfig, renderEdgeConfig, renderGatewayConfig, type BalancerConfigModel, type EdgeConfigModel, type GatewayConfigModel } from './agent-config.js';

const dir = join(import.meta.dirname, 'testdata');
const cases = readdirSync(dir).filter((f) => f.endsWith('.model.json')).map((f) => f.replace(/\.model\.json$/, ''));
const load = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.model.json`), 'utf8')) as GatewayConfigModel & EdgeConfigModel & BalancerConfigModel;
const render = (name: string) => (name.startsWith('edge') ? renderEdgeConfig(load(name)) : name.startsWith('balancer') ? renderBalancerConfig(load(name)) : renderGatewayConfig(load(name)));

describe('agent configs', () => {
  test.each(cases)('%s matches its golden file', async (name) => {
    await expect(render(name)).toMatchFileSnapshot(join(dir, `${name}.json`));
  });

  test('what Core writes, the agents accept (the same schemas on both sides)', () => {
    expect(GatewayAgentConfig.safeParse(JSON.parse(render('gateway-two-locations'))).success).toBe(true);
    expect(EdgeAgentConfig.safeParse(JSON.parse(render('edge'))).success).toBe(true);
    expect(BalancerAgentConfig.safeParse(JSON.parse(render('balancer'))).success).toBe(true);
  });

  test('the same model always gives the same bytes, whatever the order of locations', () => {
    const m = load('gateway-two-locations');
    expect(renderGatewayConfig({ ...m, locations: [...m.locations].reverse() })).toBe(renderGatewayConfig(m));
  });

  test('health listens on loopback only', () => {
    expect(JSON.parse(render('edge')).health).toEqual({ address: '127.0.0.1', port: 9462 });
    expect(JSON.parse(render('balancer')).health).toEqual({ address: '127.0.0.1', port: 9464 });
  });
});
