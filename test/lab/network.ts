// The lab's address plan: which documentation range a lab may use on this machine.
// A lab's packets must never leave through the machine's own interfaces, so a range that
// overlaps any address or route the machine already has is refused, with the reason.
import { execFileSync } from 'node:child_process';
import { cidrsOverlap, formatCidr, parseCidr, parseIp, type Cidr } from '../../src-main/net/ip.js';

/** Where labs take their prefixes from: RFC 5737 documentation ranges, split into /27s. */
export const LAB_POOLS = ['198.51.100.0/24', '203.0.113.0/24'];
export const LAB_PREFIX_LENGTH = 27;

export interface MachineNetwork {
  /** Interface addresses as CIDRs with their interface, e.g. { cidr: 192.0.2.2/24, where: "address on eth0" }. */
  used: { cidr: Cidr; where: string }[];
}

interface IpAddr {
  ifname: string;
  addr_info?: { local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  dev?: string;
}

/** A route destination: a CIDR, or a bare address for a host route. */
const toCidr = (text: string): Cidr | null => {
  const r = parseCidr(text);
  if (r.ok) return r.value;
  const ip = parseIp(text);
  return ip ? { family: ip.family, network: ip.value, prefix: ip.family === 4 ? 32 : 128 } : null;
};

/** Reads `ip -j addr` and `ip -j route` output. The default route is not a conflict: it is where everything else goes. */
export function parseMachineNetwork(addrJson: string, routeJsons: string[]): MachineNetwork {
  const used: MachineNetwork['used'] = [];
  for (const link of JSON.parse(addrJson) as IpAddr[]) {
    for (const a of link.addr_info ?? []) {
      const ip = parseIp(a.local);
      if (!ip) continue;
      // The interface's whole connected network counts, not just its own address.
      const hostMask = (1n << BigInt((ip.family === 4 ? 32 : 128) - a.prefixlen)) - 1n;
      used.push({ cidr: { family: ip.family, network: ip.value & ~hostMask, prefix: a.prefixlen }, where: `address ${a.local}/${a.prefixlen} on ${link.ifname}` });
    }
  }
  for (const json of routeJsons) {
    for (const r of JSON.parse(json) as IpRoute[]) {
      if (r.dst === 'default') continue;
      const c = toCidr(r.dst);
      if (c) used.push({ cidr: c, where: `route ${r.dst}${r.dev ? ` via ${r.dev}` : ''}` });
    }
  }
  return { used };
}

export function readMachineNetwork(netns?: string): MachineNetwork {
  const ip = (...args: string[]) => execFileSync('ip', [...(netns ? ['-n', netns] : []), '-j', ...args], { encoding: 'utf8' });
  return parseMachineNetwork(ip('addr'), [ip('-4', 'route', 'show', 'table', 'all'), ip('-6', 'route', 'show', 'table', 'all')]);
}

/** Why `range` cannot be a lab here, or null when it can. */
export function labRangeConflict(range: Cidr, net: MachineNetwork): string | null {
  const hit = net.used.find((u) => cidrsOverlap(range, u.cidr));
  return hit
    ? `lab range ${formatCidr(range)} overlaps ${hit.where} on this machine; lab packets could leave through it, so choose a range that nothing here uses`
    : null;
}

/** The first free lab prefix, or an error that lists why each candidate was refused. */
/** The first free /27 of the documentation ranges; `taken` are ranges to avoid as well. */
export function chooseLabPrefix(net: MachineNetwork, taken: Cidr[] = []): Cidr {
  const reasons: string[] = [];
  for (const pool of LAB_POOLS) {
    const p = parseCidr(pool);
    if (!p.ok) continue;
    const step = 1n << BigInt(32 - LAB_PREFIX_LENGTH);
    for (let n = p.value.network; n < p.value.network + (1n << BigInt(32 - p.value.prefix)); n += step) {
      const candidate: Cidr = { family: 4, network: n, prefix: LAB_PREFIX_LENGTH };
      const why = taken.some((t) => cidrsOverlap(t, candidate)) ? `${formatCidr(candidate)} is taken by this lab` : labRangeConflict(candidate, net);
      if (!why) return candidate;
      reasons.push(why);
    }
  }
  throw new Error(`no free lab range: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : ''}`);
}
