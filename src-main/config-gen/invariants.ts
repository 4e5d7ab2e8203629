// The checks every config generator makes of a value before it goes into a file: a name, a path,
// an address or a port that could otherwise end a line or break the syntax is refused as a bug
// ("invariant failed"), since Core validated it long before. Pure.
import { parseIPv4, parseIPv6 } from '../net/ip.js';

export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const PATH = /^\/[A-Za-z0-9._/-]+$/;

export function safeName(what: string, v: string): string {
  if (!NAME.test(v)) throw new Error(`invariant failed: ${what} ${JSON.stringify(v)} is a name of letters, digits, ".", "_" and "-"`);
  return v;
}

export function plainPath(what: string, v: string): string {
  if (!PATH.test(v) || v.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`invariant failed: ${what} ${JSON.stringify(v)} is a plain absolute path`);
  }
  return v;
}

export function ipAddress(what: string, v: string): string {
  if (parseIPv4(v) === null && parseIPv6(v) === null) throw new Error(`invariant failed: ${what} ${JSON.stringify(v)} is an IP address`);
  return v;
}

export function port(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new Error(`invariant failed: ${what} ${v} is a port from 1 to 65535`);
  return v;
}

export function positive(what: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`invariant failed: check ${what} ${v} is a whole number from 1 to ${max}`);
  return v;
}

