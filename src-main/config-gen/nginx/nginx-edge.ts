// nginx as the edge balancer, for admins who run their own proxy rather than the HAProxy that
// Bulwark installs (config-gen/haproxy): a whole nginx configuration (`nginx -c`) that ends the
// browsers' HTTPS and passes every request to the edges. Pure: model in, text out. Checked with
// `nginx -t` on Debian 12's nginx-light (1.22, which has the ssl and http/2 modules) in
// test/lab/edge-config.test.ts. Choices, and why (the same as HAProxy's where nginx can):
// - Round robin over every edge (edges are stateless), over TLS verified against Bulwark's CA.
//   nginx checks one name for all servers of an upstream, so it asks for and verifies
//   EDGE_TLS_NAME, which every edge certificate carries besides its host's name.
// - proxy_connect_timeout 1 s (a powered-off edge is given up fast) and proxy_read_timeout 25 s,
//   longer than the longest public call (EDGE_REQUEST_MAX_MS, 20 s).
// - A request an edge failed goes to the next edge (up to 3 tries in all): a refused or
//   timed-out connection, a broken answer, an edge's 502 or 503. `non_idempotent` lets nginx
//   resend POSTs too: every call that changes something carries an Idempotency-Key that Core
//   de-duplicates, so a resent POST is answered, not done twice. An edge's 504 (Core did not
//   answer in time) is not retried, as in HAProxy: another edge asks the same Core.
// - X-Forwarded-For is set to the connection's address, replacing what the client sent;
//   Forwarded and X-Real-IP from the client are dropped. The edge believes the header only from
//   the balancer's address.
// - HTTP/2 with `listen … ssl http2`, the form nginx 1.22 knows (nginx 1.25.1 and later
//   accept it with a deprecation warning, preferring `http2 on;`).
// - Bodies up to 8 kB, as in HAProxy (the public calls send a few hundred bytes); HSTS on
//   every answer, nginx's own error pages included.
// What it cannot do compared with HAProxy:
// - Passive checks only (open-source nginx has no active health check): nginx learns that an
//   edge is gone or has lost Core (it still accepts connections and answers 503) only from a
//   live request, which it then sends to the next edge (http_503 and errors count as failures).
//   After one failure (max_fails=1) it leaves the edge alone for fail_timeout, 5 s, then tries
//   it with a live request again: as long as the edge stays bad, one request every 5 s costs a
//   round trip (or, for a powered-off edge, the 1 s connect timeout) more. HAProxy's checks take
//   such an edge out within a second and send it nothing until it is ready again.
// - No stats socket: Bulwark's balancer view cannot show which edges nginx uses, and a rolling
//   apply cannot drain an edge here first (in-flight requests are retried instead).
// - No "unavailable" page of its own: when no edge answers, nginx's own 502 or 504 page shows.
import { EDGE_TLS_NAME } from '../../contract/host-layout.js';
import { EDGE_REQUEST_MAX_MS } from '../../contract/schemas/link.js';
import { formatEndpoint } from '../../net/endpoint.js';
import { ipAddress, NAME, plainPath, port } from '../invariants.js';
import { EDGE_BODY_MAX_BYTES } from '../haproxy/haproxy-conf.js';

export interface NginxEdgeModel {
  /** The host nginx runs on (named in the header comment). */
  host: string;
  /** Where browsers reach it: "0.0.0.0", "::" (IPv4 too) or one of the host's addresses. */
  listenAddress: string;
  /** HTTPS port; on 443 port 80 is bound too, only to redirect to HTTPS. */
  port: number;
  /** The public certificate with its chain, and its key. */
  certificate: string;
  certificateKey: string;
  /** Bulwark's CA, which signed every edge's certificate (TLS_CA). */
  caFile: string;
  pidFile: string;
  /** The user (and group) nginx's workers run as; the master stays root to bind and reload. */
  user: string;
  /** Every edge: its host name, LAN address and HTTPS port (EDGE_PUBLIC_PORT). */
  edges: { host: string; address: string; port: number }[];
}

export const NGINX_EDGE_UPSTREAM = 'bulwark_edges';

export function renderNginxEdge(m: NginxEdgeModel): string {
  if (!NAME.test(m.host)) throw new Error(`invariant failed: nginx host ${JSON.stringify(m.host)} is a name of letters, digits, ".", "_" and "-"`);
  if (!/^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$/.test(m.user)) throw new Error(`invariant failed: nginx user ${JSON.stringify(m.user)} is a user name and an optional group`);
  const listen = ipAddress('listen address', m.listenAddress);
  const httpsPort = port('listen port', m.port);
  const certificate = plainPath('certificate', m.certificate);
  const certificateKey = plainPath('certificate key', m.certificateKey);
  const caFile = plainPath('CA file', m.caFile);
  const pidFile = plainPath('pid file', m.pidFile);
  if (m.edges.length === 0) throw new Error('invariant failed: the edge balancer has edges');
  const edges = [...m.edges].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  if (new Set(edges.map((e) => e.host)).size !== edges.length) throw new Error('invariant failed: each edge host appears once');
  const servers = edges.map((e) => {
    if (!NAME.test(e.host)) throw new Error(`invariant failed: edge host ${JSON.stringify(e.host)} is a name of letters, digits, ".", "_" and "-"`);
    const endpoint = formatEndpoint({ host: ipAddress(`edge ${e.host} address`, e.address), port: port(`edge ${e.host} port`, e.port) });
    return `    server ${endpoint} max_fails=1 fail_timeout=5s;  # ${e.host}`;
  });
  // "::" takes IPv4 too, as HAProxy's v4v6 does.
  const listenOn = (p: number) => `${formatEndpoint({ host: listen, port: p })}${listen === '::' ? ' ipv6only=off' : ''}`;
  const out = [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    `# The edge balancer on ${m.host}: HTTPS for the public pages and API, in front of the edges.`,
    `user ${m.user};`,
    'worker_processes auto;',
    `pid ${pidFile};`,
    'error_log stderr notice;',
    'events {',
    '  worker_connections 4096;',
    '}',
    'http {',
    '  server_tokens off;',
    `  upstream ${NGINX_EDGE_UPSTREAM} {`,
    ...servers,
    '    keepalive 16;',
    '  }',
    ...(httpsPort === 443
      ? ['  server {', `    listen ${listenOn(80)};`, '    return 301 https://$host$request_uri;', '  }']
      : []),
    '  server {',
    `    listen ${listenOn(httpsPort)} ssl http2;`,
    `    ssl_certificate ${certificate};`,
    `    ssl_certificate_key ${certificateKey};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;',
    '    ssl_session_cache shared:bulwark_edges:1m;',
    '    ssl_session_tickets off;',
    `    client_max_body_size ${EDGE_BODY_MAX_BYTES / 1024}k;`,
    '    client_header_timeout 10s;',
    '    client_body_timeout 10s;',
    '    add_header Strict-Transport-Security "max-age=31536000" always;',
    '    location / {',
    `      proxy_pass https://${NGINX_EDGE_UPSTREAM};`,
    '      proxy_http_version 1.1;',
    '      proxy_set_header Connection "";',
    '      proxy_set_header Host $host;',
    '      proxy_set_header X-Forwarded-For $remote_addr;',
    '      proxy_set_header Forwarded "";',
    '      proxy_set_header X-Real-IP "";',
    '      proxy_ssl_verify on;',
    '      proxy_ssl_verify_depth 2;',
    `      proxy_ssl_trusted_certificate ${caFile};`,
    `      proxy_ssl_name ${EDGE_TLS_NAME};`,
    '      proxy_ssl_server_name on;',
    '      proxy_ssl_protocols TLSv1.2 TLSv1.3;',
    '      proxy_ssl_session_reuse on;',
    '      proxy_connect_timeout 1s;',
    `      proxy_read_timeout ${(EDGE_REQUEST_MAX_MS + 5000) / 1000}s;`,
    `      proxy_send_timeout ${(EDGE_REQUEST_MAX_MS + 5000) / 1000}s;`,
    '      proxy_next_upstream error timeout invalid_header http_502 http_503 non_idempotent;',
    '      proxy_next_upstream_tries 3;',
    '    }',
    '  }',
    '}',
  ];
  return `${out.join('\n')}\n`;
}
