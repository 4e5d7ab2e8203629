// Test data source: testdata/*.json are hand-written models; the .conf files are the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// nginx itself checks each golden file (`nginx -t`) in test/lab/failover.test.ts, on a lab host.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { renderNginxStream, type NginxStreamModel } from './nginx-stream.js';


describe('renderNginxStream', () => {
  const { load } = goldenFiles<NginxStreamModel>(join(import.meta.dirname, 'testdata'), 'conf', renderNginxStream);

  test('sticky by client address, sessions outlive two keepalives, failed gateways marked down', () => {
    const conf = renderNginxStream(load('two-locations'));
    expect(conf.match(/^ {4}hash \$remote_addr consistent;$/gm)).toHaveLength(2);
    expect(conf.match(/^ {4}proxy_timeout 60s;$/gm)).toHaveLength(2);
    expect(conf).not.toMatch(/proxy_responses/);
    expect(conf).toMatch(/^ {4}server 198\.51\.100\.13:51821 max_fails=1 fail_timeout=10s down;/m);
    expect(conf).toMatch(/^ {4}listen 198\.51\.100\.20:51820 udp;$/m);
  });

  test('IPv6 addresses are bracketed before their port', () => {
    const m = load('two-locations');
    const conf = renderNginxStream({ ...m, listenAddress: '::', locations: [{ ...m.locations[0]!, gateways: [{ host: 'gw6', address: '2001:db8::11', port: 51820, down: false }] }] });
    expect(conf).toMatch(/^ {4}server \[2001:db8::11\]:51820 max_fails=1 fail_timeout=10s;  # gw6$/m);
    expect(conf).toMatch(/^ {4}listen \[::\]:51820 udp;$/m);
  });

  test('what nginx would misread is refused, not written', () => {
    const m = load('two-locations');
    expect(() => renderNginxStream({ ...m, listenAddress: '0.0.0.0; evil' })).toThrow(/listen address/);
    expect(() => renderNginxStream({ ...m, locations: [{ ...m.locations[0]!, gateways: [] }] })).toThrow(/has gateways/);
  });
});
