// Parsing --listen HOST:PORT and deciding whether it is loopback only.
import { parseEndpoint } from '../net/endpoint.js';
import { parseIp } from '../net/ip.js';
import { BulwarkError } from '../contract/index.js';

export const DEFAULT_LISTEN = '127.0.0.1:7420';

export function parseListen(text: string): { host: string; port: number } {
  // Port 0 asks the OS for a free port (tests, demos).
  const zero = /:0$/.test(text);
  const r = parseEndpoint(zero ? text.replace(/:0$/, ':1') : text, 7420);
  if (!r.ok) throw BulwarkError.field('--listen', `${r.reason.replace(/; use HOST.*$/, '')}; use HOST:PORT such as 127.0.0.1:7420`);
  return { host: r.value.host, port: zero ? 0 : r.value.port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const ip = parseIp(host);
  if (!ip) return false;
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

/**
 * The URL a client on this machine dials for a server listening at `url`: a wildcard address
 * (0.0.0.0, ::) is not one to connect to, its loopback is.
 */
export function localUrl(url: string): string {
  const u = new URL(url);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  else if (u.hostname === '[::]') u.hostname = '[::1]';
  return u.origin;
}
