// Who the browser is: the address the connection came from, or, when the connection came from
// the edge balancer (a trusted proxy), the address the balancer put in X-Forwarded-For (it
// replaces whatever the browser sent; the edge takes the last entry, the balancer's own). A
// forwarding header from anyone else is refused: it would let a client pick its own address
// and slip past the per-address limits. Pure.
import { isIP } from 'node:net';

const FORWARDING = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;

/** "::ffff:192.0.2.1" → "192.0.2.1": one spelling per IPv4 address. */
export function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export type ClientAddress = { ok: true; client: string; viaProxy: boolean } | { ok: false; reason: string };

export function clientAddress(remote: string | undefined, headers: Record<string, string | string[] | undefined>, trusted: ReadonlySet<string>): ClientAddress {
  const peer = plainAddress(remote ?? '');
  const sent = FORWARDING.filter((h) => headers[h] !== undefined);
  if (!trusted.has(peer)) {
    if (sent.length > 0) return { ok: false, reason: `the ${sent[0]} header is accepted only from a proxy the edges trust (the edge balancer, or one named with "bulwark edge public-name --trusted-proxy"); send the request without it` };
    return { ok: true, client: peer, viaProxy: false };
  }
  const raw = headers['x-forwarded-for'];
  const list = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  const last = list.at(-1);
  // A balancer that sent no header (its own health check) is the client itself.
  if (last === undefined) return { ok: true, client: peer, viaProxy: false };
  if (isIP(plainAddress(last)) === 0) return { ok: false, reason: 'the balancer forwarded a client address that is not an IP address' };
  return { ok: true, client: plainAddress(last), viaProxy: true };
}
