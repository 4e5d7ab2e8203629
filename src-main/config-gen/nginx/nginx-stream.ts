// nginx as the UDP load balancer of lb-mode locations: Bulwark's own configuration file, run by
// its own unit (`nginx -c`), so an nginx the admin runs for web sites is left alone. Pure.
// The balancer agent renders it with the gateways' health folded in (`down`).
// Choices, and why (measured in shared/lab, "nginx stream UDP LB"):
// - `hash $remote_addr consistent`: a client stays on one gateway (WireGuard sessions live on
//   one gateway only), and a gateway leaving moves only its own clients.
// - `proxy_timeout 60s`: a UDP "session" lives until this much silence; longer than twice the
//   clients' 25 s keepalive, so a connected client keeps its session and its gateway.
// - no `proxy_responses`: any finite count makes nginx end a session after each exchange.
// - OSS nginx notices neither a dead host nor a dead gateway while the client keeps sending, so
//   Bulwark's agent on the load balancer checks the gateways and marks failed ones `down`.
import { formatEndpoint } from '../../net/endpoint.js';
import { locationIdentifier } from '../location-identifier.js';

export interface StreamLocation {
  name: string;
  /** UDP port clients dial on the load balancer (the location's endpoint port). */
  listenPort: number;
  /** The location's gateways; `down` ones get no new clients. */
  gateways: { host: string; address: string; port: number; down: boolean }[];
}

export interface NginxStreamModel {
  host: string;
  /** Where the load balancer listens: its address, "0.0.0.0" or "::" (IPv6 is bracketed here). */
  listenAddress: string;
  pidFile: string;
  /** The user (and group) nginx's workers run as; the master stays root to bind and reload. */
  user: string;
  locations: StreamLocation[];
}

const ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*)$/;

export function renderNginxStream(m: NginxStreamModel): string {
  const out = [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    `# The UDP load balancer on ${m.host} for its lb-mode locations.`,
    'load_module /usr/lib/nginx/modules/ngx_stream_module.so;',
    `user ${m.user};`,
    'worker_processes auto;',
    `pid ${m.pidFile};`,
    'error_log stderr notice;',
    'events {',
    '  worker_connections 4096;',
    '}',
    'stream {',
  ];
  if (!/^[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?$/.test(m.user)) throw new Error(`invariant failed: nginx user ${m.user} is a user name and an optional group`);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(m.pidFile)) throw new Error(`invariant failed: pid file ${m.pidFile} is an absolute path`);
  if (!ADDRESS.test(m.listenAddress)) throw new Error(`invariant failed: listen address ${m.listenAddress} is an IP address`);
  const locations = [...m.locations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const l of locations) {
    if (l.gateways.length === 0) throw new Error(`invariant failed: location ${l.name} has gateways`);
    const upstream = locationIdentifier(l.name);
    out.push(`  upstream ${upstream} {`, '    hash $remote_addr consistent;');
    for (const g of [...l.gateways].sort((a, b) => (a.host < b.host ? -1 : 1))) {
      if (!ADDRESS.test(g.address)) throw new Error(`invariant failed: gateway address ${g.address} is an IP address`);
      out.push(`    server ${formatEndpoint({ host: g.address, port: g.port })} max_fails=1 fail_timeout=10s${g.down ? ' down' : ''};  # ${g.host.replace(/[^A-Za-z0-9._-]/g, '')}`);
    }
    out.push('  }', '  server {', `    listen ${formatEndpoint({ host: m.listenAddress, port: l.listenPort })} udp;`, `    proxy_pass ${upstream};`, '    proxy_timeout 60s;', '  }');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
