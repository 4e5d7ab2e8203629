// Test data source: testdata/*.json are hand-written models; the .cfg files are the generator's
// reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// HAProxy itself checks each golden file (`haproxy -c`) in test/lab/edge-config.test.ts, on a
// lab host (Debian 12's HAProxy 2.6), with the files it names in place.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { EDGE_PUBLIC_PORT, HAPROXY_PUBLIC_PEM, HAPROXY_STATS_SOCKET, HAPROXY_UNAVAILABLE_PAGE, TLS_CA } from '../../contract/host-layout.js';
import { EDGE_REQUEST_MAX_MS } from '../../contract/schemas/link.js';
import { DEFAULT_EDGE_CHECK, edgeServerName, renderHaproxyConf, type EdgeBalancerModel } from './haproxy-conf.js';

const seconds = (conf: string, name: string) => Number(new RegExp(`^ {2}timeout ${name} (\\d+)s$`, 'm').exec(conf)?.[1]) * 1000;

describe('renderHaproxyConf', () => {
  const { load } = goldenFiles<EdgeBalancerModel>(join(import.meta.dirname, 'testdata'), 'cfg', renderHaproxyConf);

  test('the golden models use the host layout and the default check', () => {
    const m = load('two-edges');
    expect([m.publicPem, m.caFile, m.unavailablePage, m.statsSocket]).toEqual([HAPROXY_PUBLIC_PEM, TLS_CA, HAPROXY_UNAVAILABLE_PAGE, HAPROXY_STATS_SOCKET]);
    expect(m.edges.every((e) => e.port === EDGE_PUBLIC_PORT)).toBe(true);
    expect(m.check).toEqual(DEFAULT_EDGE_CHECK);
  });

  test('each edge is reached over TLS checked against the CA and its own host name, and health-checked on /readyz', () => {
    const conf = renderHaproxyConf(load('two-edges'));
    expect(conf).toMatch(/^ {2}server edge-edge1 192\.0\.2\.31:9443 ssl verify required ca-file \/etc\/bulwark\/tls\/ca\.pem verifyhost edge1 check check-ssl inter 500ms fall 2 rise 2$/m);
    expect(conf.match(/ ssl verify required /g)).toHaveLength(2);
    expect(conf).toMatch(/^ {2}option httpchk GET \/readyz\n {2}http-check expect status 200\n {2}timeout check 400ms$/m);
    expect(conf).toMatch(/^ {2}balance roundrobin$/m);
    expect(edgeServerName('edge1')).toBe('edge-edge1');
  });

  test('a request that an edge failed is retried on another edge, POSTs included, and only while the balancer has it whole', () => {
    const conf = renderHaproxyConf(load('two-edges'));
    const retryOn = /^ {2}retry-on (.+)$/m.exec(conf)?.[1]?.split(' ') ?? [];
    expect(retryOn).toEqual(expect.arrayContaining(['conn-failure', 'empty-response', 'response-timeout', '503']));
    expect(retryOn).not.toContain('504');
    expect(conf).toMatch(/^ {2}retries 3$/m);
    expect(conf).toMatch(/^ {2}option redispatch 1$/m);
    expect(conf).toMatch(/^ {2}option http-buffer-request$/m);
    expect(conf).not.toMatch(/disable-l7-retry/);
  });

  test('timeouts: a dead edge is given up in 1 s; an edge is waited for longer than the longest public call', () => {
    const conf = renderHaproxyConf(load('two-edges'));
    expect(seconds(conf, 'connect')).toBe(1000);
    expect(seconds(conf, 'server')).toBeGreaterThan(EDGE_REQUEST_MAX_MS);
    expect(seconds(conf, 'client')).toBeGreaterThan(seconds(conf, 'server'));
    expect(seconds(conf, 'http-request')).toBe(10_000);
    expect(seconds(conf, 'queue')).toBe(5000);
  });

  test('the client address the edges see comes from the connection, never from the client', () => {
    const conf = renderHaproxyConf(load('two-edges'));
    const rules = conf.split('\n').filter((l) => l.startsWith('  http-request '));
    const setAt = rules.indexOf('  http-request set-header X-Forwarded-For %[src]');
    expect(setAt).toBeGreaterThan(0);
    for (const h of ['X-Forwarded-For', 'Forwarded', 'X-Real-IP']) expect(rules.indexOf(`  http-request del-header ${h}`)).toBeLessThan(setAt);
    expect(rules.indexOf(`  http-request del-header X-Real-IP`)).toBeGreaterThanOrEqual(0);
  });

  test('HTTPS with HSTS on 443, port 80 only redirects, and the unavailable page for every error of its own', () => {
    const conf = renderHaproxyConf(load('two-edges'));
    expect(conf).toMatch(/^ {2}bind 0\.0\.0\.0:443 ssl crt \/etc\/bulwark\/tls\/public\.pem alpn h2,http\/1\.1$/m);
    expect(conf).toMatch(/^ {2}bind 0\.0\.0\.0:80\n {2}http-request redirect scheme https code 301 unless \{ ssl_fc \}$/m);
    expect(conf).toMatch(/^ {2}http-after-response set-header Strict-Transport-Security "max-age=31536000" if \{ ssl_fc \}$/m);
    for (const code of [502, 503, 504]) expect(conf).toContain(`\n  errorfile ${code} /etc/bulwark/edge-unavailable.http\n`);
    expect(conf).toMatch(/^ {2}stats socket \/run\/bulwark-haproxy\/admin\.sock mode 600 level admin$/m);
    expect(conf).not.toMatch(/^ {2}daemon$/m);
    // On another port there is no plain-HTTP listener to redirect from.
    expect(renderHaproxyConf(load('own-address'))).not.toMatch(/:80$/m);
  });

  test('IPv6: "::" listens on IPv4 too, and addresses are bracketed before their port', () => {
    const conf = renderHaproxyConf(load('three-edges-ipv6'));
    expect(conf).toMatch(/^ {2}bind \[::\]:443 v4v6 ssl crt /m);
    expect(conf).toMatch(/^ {2}server edge-edge-b \[2001:db8:10::32\]:9443 ssl /m);
    expect(conf).toMatch(/^ {2}server edge-edge-c\.lan 192\.0\.2\.33:8443 ssl .* inter 1000ms fall 3 rise 2$/m);
  });

  test('what HAProxy would misread is refused, not written', () => {
    const m = load('two-edges');
    const edge = m.edges[0]!;
    const bad: [Partial<EdgeBalancerModel>, RegExp][] = [
      [{ host: 'lb1\n  stats socket /tmp/x level admin' }, /balancer host/],
      [{ edges: [{ ...edge, host: 'edge 1' }] }, /edge host/],
      [{ edges: [{ ...edge, host: 'edge1\nserver evil 203.0.113.9:443' }] }, /edge host/],
      [{ edges: [{ ...edge, host: '-edge' }] }, /edge host/],
      [{ edges: [{ ...edge, address: '192.0.2.31 backup' }] }, /address/],
      [{ edges: [{ ...edge, address: 'edge1.example.com' }] }, /address/],
      [{ edges: [{ ...edge, port: 0 }] }, /port/],
      [{ edges: [edge, { ...edge, address: '192.0.2.39' }] }, /appears once/],
      [{ edges: [] }, /has edges/],
      [{ listenAddress: '0.0.0.0:443' }, /listen address/],
      [{ port: 70000 }, /port/],
      [{ publicPem: 'tls/public.pem' }, /public certificate/],
      [{ caFile: '/etc/bulwark/tls/ca.pem verify none' }, /CA file/],
      [{ unavailablePage: '/etc/bulwark/../shadow' }, /unavailable page/],
      [{ statsSocket: '/run/x.sock\n' }, /stats socket/],
      [{ check: { ...m.check, intervalMs: 0.5 } }, /interval/],
      [{ check: { ...m.check, fall: 0 } }, /fall/],
    ];
    for (const [change, error] of bad) expect(() => renderHaproxyConf({ ...m, ...change }), JSON.stringify(change)).toThrow(error);
  });
});
