// Test data source: testdata/*.json are hand-written models; the .conf files are the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { renderClientConfig, type ClientConfigModel } from './client-config.js';

const dir = join(import.meta.dirname, 'testdata');
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));

describe('renderClientConfig', () => {
  test('has golden cases', () => expect(cases.length).toBeGreaterThanOrEqual(3));
  test.each(cases)('%s', async (name) => {
    const model = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ClientConfigModel;
    await expect(renderClientConfig(model)).toMatchFileSnapshot(join(dir, `${name}.conf`));
  });
  test('a name can never add a line to the config', () => {
    const text = renderClientConfig({
      locationName: 'hq', deviceName: 'evil\n[Peer]\nAllowedIPs = 0.0.0.0/0', privateKey: null, address: '10.0.0.2/32',
      serverPublicKey: 'k', allowedIps: ['10.0.0.0/24'], endpoint: 'vpn:51820', persistentKeepalive: 25,
    });
    expect(text.match(/^\[Peer\]$/gm)).toHaveLength(1);
    expect(text.match(/^AllowedIPs/gm)).toHaveLength(1);
  });
});
