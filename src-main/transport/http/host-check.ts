// Which Host headers the server answers, against DNS rebinding: a page on evil.example whose
// name is made to resolve to 127.0.0.1 reaches the server with "Host: evil.example", and an
// answer would let that page read the UI and probe the API. Pure.
import { networkInterfaces } from 'node:os';
import { bracketHost, parseEndpoint } from '../../net/endpoint.js';
import { formatIp, parseIp } from '../../net/ip.js';
import { isLoopback } from '../../platform/listen.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::']);

/** One spelling per host: lower case, no trailing dot, IP addresses in their short form (0:0::1 is ::1). */
function normalise(host: string): string {
  const ip = parseIp(host);
  return ip ? formatIp(ip.family, ip.value) : host.toLowerCase().replace(/\.$/, '');
}

/**
 * The host names and addresses a server listening on `listenHost` answers to: the listen
 * address; localhost, 127.0.0.1 and ::1 when that is loopback; this machine's addresses when
 * it is a wildcard; and `names` (the TLS certificate's names and any configured ones).
 */
export function allowedHosts(listenHost: string, names: readonly string[] = []): Set<string> {
  const hosts = new Set([listenHost, ...names].map(normalise));
  if (isLoopback(listenHost) || WILDCARDS.has(listenHost)) LOOPBACK_NAMES.forEach((h) => hosts.add(h));
  if (WILDCARDS.has(listenHost)) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) hosts.add(normalise(a.address));
  }
  return hosts;
}

/** Undefined when the Host header names this server; else why not, and the fix (for the "Host" field). */
export function refuseHost(header: string | undefined, allowed: Set<string>): string | undefined {
  // Every browser sends Host; a client that sends none is not a page being rebound.
  if (header === undefined) return undefined;
  const parsed = parseEndpoint(header, 0);
  if (parsed.ok && allowed.has(normalise(parsed.value.host))) return undefined;
  const names = [...allowed].map(bracketHost).join(', ');
  return `${JSON.stringify(header.slice(0, 256))} is not a name this server answers to (${names}); open it by one of those, or, for another name, serve with a TLS certificate that names it`;
}
