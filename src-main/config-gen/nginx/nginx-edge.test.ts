// Test data source: testdata/edge/*.json are hand-written models; the .conf files are the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// nginx itself checks each golden file (`nginx -t`) in test/lab/edge-config.test.ts, on a lab
// host (Debian 12's nginx-light), with the certificates it names in place.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { EDGE_TLS_NAME } from '../../contract/host-layout.js';
import { EDGE_REQUEST_MAX_MS } from '../../contract/schemas/link.js';
import { renderNginxEdge, type NginxEdgeModel } from './nginx-edge.js';

describe('renderNginxEdge', () => {
  const { load } = goldenFiles<NginxEdgeModel>(join(import.meta.dirname, 'testdata/edge'), 'conf', renderNginxEdge);

  test('every edge over TLS, verified against the CA and the name all edge certificates carry', () => {
    const conf = renderNginxEdge(load('two-edges'));
    expect(conf).toMatch(/^ {4}server 192\.0\.2\.31:9443 max_fails=1 fail_timeout=5s;  # edge1\n {4}server 192\.0\.2\.32:9443 max_fails=1 fail_timeout=5s;  # edge2\n {4}keepalive 16;$/m);
    expect(conf).toMatch(/^ {6}proxy_pass https:\/\/bulwark_edges;$/m);
    expect(conf).toMatch(/^ {6}proxy_ssl_verify on;$/m);
    expect(conf).toMatch(/^ {6}proxy_ssl_trusted_certificate \/etc\/nginx\/tls\/bulwark-ca\.pem;$/m);
    expect(conf).toContain(`\n      proxy_ssl_name ${EDGE_TLS_NAME};\n      proxy_ssl_server_name on;\n`);
  });

  test('a failed request goes to the next edge, POSTs included; an edge is waited for longer than the longest call', () => {
    const conf = renderNginxEdge(load('two-edges'));
    expect(conf).toMatch(/^ {6}proxy_next_upstream error timeout invalid_header http_502 http_503 non_idempotent;$/m);
    expect(conf).toMatch(/^ {6}proxy_next_upstream_tries 3;$/m);
    expect(conf).toMatch(/^ {6}proxy_connect_timeout 1s;$/m);
    expect(Number(/^ {6}proxy_read_timeout (\d+)s;$/m.exec(conf)?.[1]) * 1000).toBeGreaterThan(EDGE_REQUEST_MAX_MS);
  });

  test('the client address comes from the connection; HTTPS with HSTS; port 80 only redirects', () => {
    const conf = renderNginxEdge(load('two-edges'));
    expect(conf).toMatch(/^ {6}proxy_set_header X-Forwarded-For \$remote_addr;$/m);
    expect(conf).not.toMatch(/proxy_add_x_forwarded_for/);
    expect(conf).toMatch(/^ {6}proxy_set_header Forwarded "";$/m);
    expect(conf).toMatch(/^ {6}proxy_set_header X-Real-IP "";$/m);
    expect(conf).toMatch(/^ {4}listen 0\.0\.0\.0:443 ssl http2;$/m);
    expect(conf).toMatch(/^ {4}listen 0\.0\.0\.0:80;\n {4}return 301 https:\/\/\$host\$request_uri;$/m);
    expect(conf).toMatch(/^ {4}add_header Strict-Transport-Security "max-age=31536000" always;$/m);
    expect(conf).toMatch(/^ {4}client_max_body_size 8k;$/m);
  });

  test('IPv6: "::" takes IPv4 too, and addresses are bracketed before their port', () => {
    const conf = renderNginxEdge(load('three-edges-ipv6'));
    expect(conf).toMatch(/^ {4}listen \[::\]:8443 ipv6only=off ssl http2;$/m);
    expect(conf).toMatch(/^ {4}server \[2001:db8:10::32\]:9443 max_fails=1 fail_timeout=5s;  # edge-b$/m);
    expect(conf).not.toMatch(/return 301/);
  });

  test('what nginx would misread is refused, not written', () => {
    const m = load('two-edges');
    const edge = m.edges[0]!;
    const bad: [Partial<NginxEdgeModel>, RegExp][] = [
      [{ host: 'proxy1\nuser root;' }, /nginx host/],
      [{ listenAddress: '0.0.0.0; evil' }, /listen address/],
      [{ certificate: '/etc/nginx/tls/a b.pem' }, /certificate/],
      [{ certificateKey: 'key.pem' }, /certificate key/],
      [{ caFile: '/etc/nginx/tls/ca.pem;' }, /CA file/],
      [{ user: 'root; daemon off' }, /nginx user/],
      [{ edges: [] }, /has edges/],
      [{ edges: [{ ...edge, address: '192.0.2.31 backup' }] }, /address/],
      [{ edges: [{ ...edge, host: 'edge1\n    server 203.0.113.9:443' }] }, /edge host/],
      [{ edges: [edge, edge] }, /appears once/],
      [{ port: 0 }, /port/],
    ];
    for (const [change, error] of bad) expect(() => renderNginxEdge({ ...m, ...change }), JSON.stringify(change)).toThrow(error);
  });
});
