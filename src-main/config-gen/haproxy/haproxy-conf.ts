// HAProxy as the edge balancer: the one HTTPS address browsers reach (invite and connect links),
// in front of every edge, which answer the public pages and API and relay each call to Core.
// Bulwark's own configuration file, run by its own unit (bulwark-haproxy.service), so an
// HAProxy the admin runs for something else is left alone. Pure: model in, text out. Written
// for HAProxy 2.6 (Debian 12); `haproxy -c` checks every golden file in
// test/lab/edge-config.test.ts. Choices, and why:
// - No `daemon`: systemd runs it in master-worker mode (-Ws, Type=notify), so a reload
//   (SIGUSR2) starts new workers beside the old ones and drops no connection; `hard-stop-after`
//   ends old workers that still hold a connection once the longest call is surely over.
// - Logs go to stdout, which systemd hands to the journal (no syslog socket needed).
// - The stats socket (mode 600, in the unit's RuntimeDirectory) is how the balancer agent reads
//   which edges are up (server names: edgeServerName).
// - TLS from the browser ends here, with TLS 1.2 at least and only AEAD suites with forward
//   secrecy (Mozilla's "intermediate" minus DHE, so no DH parameters are needed). The hop to
//   each edge is TLS too, verified against Bulwark's CA and the edge's host name (its
//   certificate carries it as a SAN): nothing crosses the LAN in plaintext.
// - The client's address reaches the edge in X-Forwarded-For, set here from the connection and
//   never taken from the client (X-Forwarded-For, Forwarded and X-Real-IP it sent are removed).
//   The edge believes that header only from the balancer's address.
// - Timeouts: connect 1 s, so a powered-off edge (no RST) is given up fast and the request goes
//   to another; server 25 s, longer than the longest public call (EDGE_REQUEST_MAX_MS, 20 s),
//   so an edge that is waiting for Core is never cut off before it answers; http-request 10 s
//   against slow senders; queue 5 s.
// - Edges are stateless (any edge answers any request): round robin, no stickiness.
// - Active checks on GET /readyz, 200 only: an edge is ready while its link to Core is up and it
//   has the key all edges share, so an edge that lost Core leaves the rotation within
//   fall × inter, although it still accepts connections.
// - Layer-7 retries on another edge (`option redispatch 1`: every retry picks another server),
//   so an edge that is killed or powered off under load costs no failed request: a refused or
//   timed-out connection, a connection closed without an answer, a response cut short, an edge
//   that stopped answering, and an edge's 502 or 503 (it lost Core since the last check) are
//   retried, POSTs included. That is safe because every call of the public API that changes
//   something carries an Idempotency-Key which Core de-duplicates: a retried POST is answered,
//   not done twice. An edge's 504 (Core did not answer within the call's deadline) is not
//   retried: another edge would ask the same Core and make the user wait that long again; nor
//   is a 500, a fault that the same request would most likely meet on every edge.
//   An edge that hangs (stopped, not dead) holds the requests already on it for the server
//   timeout before they are retried; new ones stop going there once the checks fail.
//   HAProxy can retry only a request it still has, so `option http-buffer-request` holds each
//   request whole before it is sent, and a request must fit in one buffer (tune.bufsize,
//   16 kB): bodies are capped at 8 kB (the public calls send a few hundred bytes).
// - When no edge can answer, the user gets the clear "unavailable" page (errorfile, made by
//   ./unavailable-page.ts), for 502 and 504 as well as 503: to the user they mean the same.
// - HSTS on every HTTPS answer, HAProxy's own pages included (http-after-response).
import { EDGE_REQUEST_MAX_MS } from '../../contract/schemas/link.js';
import { formatEndpoint } from '../../net/endpoint.js';
import { ipAddress, plainPath, port, positive, safeName } from '../invariants.js';

export interface EdgeBalancerModel {
  /** The host HAProxy runs on (named in the header comment). */
  host: string;
  /** Where browsers reach it: "0.0.0.0", "::" (IPv4 too) or one of the host's addresses. */
  listenAddress: string;
  /** HTTPS port (EDGE_BALANCER_PORT, 443); on 443 port 80 is bound too, only to redirect to HTTPS. */
  port: number;
  /** The public certificate, its chain and its key in one PEM file (HAPROXY_PUBLIC_PEM). */
  publicPem: string;
  /** Bulwark's CA, which signed every edge's certificate (TLS_CA). */
  caFile: string;
  /** The full HTTP response shown when no edge can answer (HAPROXY_UNAVAILABLE_PAGE). */
  unavailablePage: string;
  /** HAProxy's admin socket (HAPROXY_STATS_SOCKET). */
  statsSocket: string;
  /** Every edge: its host name (in its certificate), LAN address and HTTPS port (EDGE_PUBLIC_PORT). */
  edges: { host: string; address: string; port: number }[];
  check: { intervalMs: number; timeoutMs: number; fall: number; rise: number };
}

/**
 * The edges' health check. Every 500 ms with a 400 ms timeout (below the interval, so checks
 * never pile up; /readyz answers from the edge's memory, in a few ms on a LAN, so 400 ms is only
 * exceeded by an edge that is stuck): an edge that died or lost Core is out after 2 failures,
 * about 1 s, and requests sent to it meanwhile are retried on another edge. 2 passes to come
 * back, so an edge whose link to Core flaps does not bounce in and out with every pass.
 */
export const DEFAULT_EDGE_CHECK: EdgeBalancerModel['check'] = { intervalMs: 500, timeoutMs: 400, fall: 2, rise: 2 };

/** The largest request body the balancer forwards; a request must fit in one buffer to be retried. */
export const EDGE_BODY_MAX_BYTES = 8192;

/** The HAProxy backend the edges are in, as the stats socket names it. */
export const EDGE_BACKEND = 'bulwark_edges';

/** The name of an edge's server line, as the stats socket names it. */
export function edgeServerName(host: string): string {
  return `edge-${safeName('edge host', host)}`;
}

/** How long the balancer waits for an edge's answer: the longest public call, and 5 s for the edge to answer. */
const SERVER_TIMEOUT_MS = EDGE_REQUEST_MAX_MS + 5000;

// Mozilla "intermediate" (TLS 1.2 AEAD with ECDHE; TLS 1.3 suites), without the DHE suites.
const CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
const CIPHERSUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

/** Host names: the safe alphabet of Bulwark's resource names (a letter or digit, then letters, digits, ".", "_", "-"). */
export function renderHaproxyConf(m: EdgeBalancerModel): string {
  const host = safeName('balancer host', m.host);
  const listen = ipAddress('listen address', m.listenAddress);
  const httpsPort = port('listen port', m.port);
  const publicPem = plainPath('public certificate', m.publicPem);
  const caFile = plainPath('CA file', m.caFile);
  const unavailable = plainPath('unavailable page', m.unavailablePage);
  const statsSocket = plainPath('stats socket', m.statsSocket);
  const inter = positive('interval (ms)', m.check.intervalMs, 60_000);
  const timeout = positive('timeout (ms)', m.check.timeoutMs, 60_000);
  const fall = positive('fall', m.check.fall, 100);
  const rise = positive('rise', m.check.rise, 100);
  if (m.edges.length === 0) throw new Error('invariant failed: the edge balancer has edges');
  const edges = [...m.edges].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const servers = edges.map((e) => {
    const name = edgeServerName(e.host);
    const endpoint = formatEndpoint({ host: ipAddress(`edge ${e.host} address`, e.address), port: port(`edge ${e.host} port`, e.port) });
    return `  server ${name} ${endpoint} ssl verify required ca-file ${caFile} verifyhost ${e.host} check check-ssl inter ${inter}ms fall ${fall} rise ${rise}`;
  });
  if (new Set(edges.map((e) => e.host)).size !== edges.length) throw new Error('invariant failed: each edge host appears once');

  // "::" listens on IPv4 too (v4v6), like "0.0.0.0" on a host without IPv6.
  const bind = (p: number) => `${formatEndpoint({ host: listen, port: p })}${listen === '::' ? ' v4v6' : ''}`;
  const out = [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    `# The edge balancer on ${host}: HTTPS for the public pages and API, in front of the edges.`,
    'global',
    '  log stdout format raw local0 info',
    `  stats socket ${statsSocket} mode 600 level admin`,
    // Workers drop root once the ports are bound and the files read (Debian's package makes the user).
    '  user haproxy',
    '  group haproxy',
    // An old worker after a reload: the longest call (25 s server timeout) is over by then.
    '  hard-stop-after 30s',
    `  ssl-default-bind-ciphers ${CIPHERS}`,
    `  ssl-default-bind-ciphersuites ${CIPHERSUITES}`,
    '  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets',
    `  ssl-default-server-ciphers ${CIPHERS}`,
    `  ssl-default-server-ciphersuites ${CIPHERSUITES}`,
    '  ssl-default-server-options ssl-min-ver TLSv1.2 no-tls-tickets',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlognull',
    '  timeout connect 1s',
    '  timeout client 30s',
    `  timeout server ${SERVER_TIMEOUT_MS / 1000}s`,
    '  timeout http-request 10s',
    '  timeout queue 5s',
    '',
    'frontend bulwark_public',
    `  bind ${bind(httpsPort)} ssl crt ${publicPem} alpn h2,http/1.1`,
    ...(httpsPort === 443 ? [`  bind ${bind(80)}`, '  http-request redirect scheme https code 301 unless { ssl_fc }'] : []),
    '  option http-buffer-request',
    `  http-request deny deny_status 413 if { req.body_size gt ${EDGE_BODY_MAX_BYTES} }`,
    '  http-request del-header X-Forwarded-For',
    '  http-request del-header Forwarded',
    '  http-request del-header X-Real-IP',
    '  http-request set-header X-Forwarded-For %[src]',
    '  http-after-response set-header Strict-Transport-Security "max-age=31536000" if { ssl_fc }',
    `  default_backend ${EDGE_BACKEND}`,
    '',
    `backend ${EDGE_BACKEND}`,
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    `  timeout check ${timeout}ms`,
    '  retry-on conn-failure empty-response junk-response response-timeout 502 503',
    '  retries 3',
    '  option redispatch 1',
    `  errorfile 502 ${unavailable}`,
    `  errorfile 503 ${unavailable}`,
    `  errorfile 504 ${unavailable}`,
    ...servers,
  ];
  return `${out.join('\n')}\n`;
}
