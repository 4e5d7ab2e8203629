// Host names and HOST[:PORT] endpoints, as an admin types them. Pure.
import { parseIPv4, parseIPv6, type ParseResult } from './ip.js';

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** A DNS host name (RFC 1123) or an IPv4 address. IPv6 addresses are handled by the caller. */
export function isHostName(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  if (parseIPv4(text) !== null) return true;
  const labels = text.replace(/\.$/, '').split('.');
  // An all-numeric name that is not a valid IPv4 address (10.0.0.300) is a typo, not a host.
  if (labels.every((l) => /^[0-9]+$/.test(l))) return false;
  return labels.every((l) => LABEL.test(l));
}

export interface Endpoint {
  /** Host name, IPv4 address, or IPv6 address without brackets. */
  host: string;
  port: number;
}

export function parsePort(text: string): number | null {
  if (!/^[0-9]{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

/** Parses HOST, HOST:PORT, [IPv6] or [IPv6]:PORT. */
export function parseEndpoint(text: string, defaultPort: number): ParseResult<Endpoint> {
  const fix = 'use HOST or HOST:PORT, such as vpn.example.com:51820 or [2001:db8::1]:51820';
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, reason: `"${text}" has no closing "]"; ${fix}` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { ok: false, reason: `"${text}" is not HOST:PORT; ${fix}` };
    portText = rest === '' ? undefined : rest.slice(1);
    if (parseIPv6(host) === null) return { ok: false, reason: `"${host}" is not an IPv6 address; ${fix}` };
  } else if ((text.match(/:/g) ?? []).length > 1) {
    if (parseIPv6(text) === null) return { ok: false, reason: `"${text}" is not a host or address; ${fix}` };
    host = text;
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (!isHostName(host)) return { ok: false, reason: `"${host}" is not a valid host name or IPv4 address; ${fix}` };
  }
  if (portText === undefined) return { ok: true, value: { host, port: defaultPort } };
  const port = parsePort(portText);
  if (port === null) return { ok: false, reason: `port "${portText}" is not a number from 1 to 65535; ${fix}` };
  return { ok: true, value: { host, port } };
}

/** The wildcard address of a host's family, for a listener on every address: "::" or "0.0.0.0". */
export function wildcardAddressFor(host: string): string {
  return host.includes(':') ? '::' : '0.0.0.0';
}

/** A host as it goes before ":port" or into a URL: an IPv6 address in brackets. */
export function bracketHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function formatEndpoint(e: Endpoint): string {
  return `${bracketHost(e.host)}:${e.port}`;
}
