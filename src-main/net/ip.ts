// IP addresses and CIDR ranges as plain values: parsing, formatting, overlap and the
// usable host range of a VPN address pool. Pure: no node: imports, so the contract,
// core, agents and the renderer can all use it.

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** Network address as an unsigned integer (host bits zero). */
  network: bigint;
  prefix: number;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

export function parseIPv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

export function parseIPv6(text: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return null;
  let head = text;
  let tail32: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail32 = parseIPv4(text.slice(lastColon + 1));
    if (tail32 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail32 !== null) value = (value & ~0xffffffffn) | tail32;
  return value;
}

export function parseIp(text: string): { family: Family; value: bigint } | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIPv6(text) : null;
  return v6 === null ? null : { family: 6, value: v6 };
}

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups, leftmost on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function mask(family: Family, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  const hostBits = bits - BigInt(prefix);
  return ((1n << bits) - 1n) ^ ((1n << hostBits) - 1n);
}

export function parseCidr(text: string): ParseResult<Cidr> {
  const example = 'use address/prefix, such as 10.10.0.0/24 or fd00:10::/64';
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: `"${text}" has no prefix length; ${example}` };
  const addr = parseIp(text.slice(0, slash));
  if (!addr) return { ok: false, reason: `"${text}" is not an IPv4 or IPv6 network; ${example}` };
  const prefixText = text.slice(slash + 1);
  const max = BITS[addr.family];
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, reason: `"${text}" has an invalid prefix length; IPv${addr.family} prefixes run from 0 to ${max}` };
  }
  const prefix = Number(prefixText);
  const network = addr.value & mask(addr.family, prefix);
  if (network !== addr.value) {
    return {
      ok: false,
      reason: `"${text}" has host bits set; did you mean ${formatIp(addr.family, network)}/${prefix}?`,
    };
  }
  return { ok: true, value: { family: addr.family, network, prefix } };
}

/** An address on an interface with its network's prefix ("198.51.100.100/24"): host bits are the point. */
export interface InterfaceAddress {
  family: Family;
  address: bigint;
  /** The network it sits in. */
  lan: Cidr;
}

export function parseInterfaceAddress(text: string): ParseResult<InterfaceAddress> {
  const example = 'use address/prefix with the LAN\'s prefix, such as 198.51.100.100/24';
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: `"${text}" has no prefix length; ${example}` };
  const addr = parseIp(text.slice(0, slash));
  if (!addr) return { ok: false, reason: `"${text}" is not an IP address with a prefix; ${example}` };
  const prefixText = text.slice(slash + 1);
  const max = BITS[addr.family];
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { ok: false, reason: `"${text}" has an invalid prefix length; IPv${addr.family} prefixes run from 0 to ${max}` };
  }
  const prefix = Number(prefixText);
  return { ok: true, value: { family: addr.family, address: addr.value, lan: { family: addr.family, network: addr.value & mask(addr.family, prefix), prefix } } };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.network)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(BITS[c.family] - c.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = mask(a.family, p);
  return (a.network & m) === (b.network & m);
}

export function cidrContains(c: Cidr, family: Family, value: bigint): boolean {
  return family === c.family && (value & mask(c.family, c.prefix)) === c.network;
}

/** Big pools are capped: nobody runs 2^40 peers, and offsets must fit a SQLite integer. */
const MAX_DEVICE_OFFSET = 1n << 40n;

export interface PoolLayout {
  /** Offset (from the network address) of the gateway's own tunnel address. */
  gatewayOffset: bigint;
  /** First and last offsets a device may take; null when the pool has no room for devices. */
  devices: { first: bigint; last: bigint } | null;
}

/**
 * Where the gateway and the devices sit in a pool. The network address, the IPv4
 * broadcast address and the gateway's address are never given to a device. A /31
 * (RFC 3021) has no network or broadcast address: the gateway takes the first, a
 * device the second. A /32 or /128 holds the gateway alone.
 */
export function poolLayout(c: Cidr): PoolLayout {
  const size = cidrSize(c);
  if (size === 1n) return { gatewayOffset: 0n, devices: null };
  if (size === 2n) return { gatewayOffset: 0n, devices: { first: 1n, last: 1n } };
  const last = c.family === 4 ? size - 2n : size - 1n;
  const capped = last > MAX_DEVICE_OFFSET ? MAX_DEVICE_OFFSET : last;
  return { gatewayOffset: 1n, devices: capped >= 2n ? { first: 2n, last: capped } : null };
}

export function addressAt(c: Cidr, offset: bigint): string {
  return formatIp(c.family, c.network + offset);
}

const SPECIAL: { family: Family; cidr: string; what: string }[] = [
  { family: 4, cidr: '0.0.0.0/8', what: '"this network"' },
  { family: 4, cidr: '127.0.0.0/8', what: 'loopback' },
  { family: 4, cidr: '169.254.0.0/16', what: 'link-local' },
  { family: 4, cidr: '224.0.0.0/4', what: 'multicast' },
  { family: 4, cidr: '240.0.0.0/4', what: 'reserved' },
  { family: 6, cidr: '::/8', what: 'loopback and IPv4-mapped' },
  { family: 6, cidr: 'fe80::/10', what: 'link-local' },
  { family: 6, cidr: 'ff00::/8', what: 'multicast' },
];

/** Largest pools a location may have: bigger ones would swallow every other network. */
const MIN_POOL_PREFIX: Record<Family, number> = { 4: 8, 6: 48 };

/** Why a network cannot be a VPN address pool, or null when it can. */
export function poolProblem(c: Cidr): string | null {
  const example = c.family === 4 ? '10.10.0.0/24' : 'fd00:10::/64';
  if (c.prefix < MIN_POOL_PREFIX[c.family]) {
    return `${formatCidr(c)} is too large for an address pool (it would route all of that traffic into the VPN); use a /${MIN_POOL_PREFIX[c.family]} or smaller, such as ${example}`;
  }
  for (const s of SPECIAL) {
    if (s.family !== c.family) continue;
    const r = parseCidr(s.cidr);
    if (r.ok && cidrsOverlap(c, r.value)) return `${formatCidr(c)} overlaps ${s.cidr} (${s.what}); use a private range such as ${example}`;
  }
  if (poolLayout(c).devices === null) {
    return `${formatCidr(c)} has room for the gateway only; use a /${c.family === 4 ? 31 : 127} or larger, so devices get addresses too`;
  }
  return null;
}
