import { describe, expect, test } from 'vitest';
import { addressAt, cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp, poolLayout } from './ip.js';

const cidr = (s: string) => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('parseIp / formatIp', () => {
  test.each([
    ['10.0.0.1', '10.0.0.1'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fd00:1:0:0:1::', 'fd00:1:0:0:1::'],
    ['fd00:0:0:1:0:0:1:1', 'fd00::1:0:0:1:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('%s formats as %s', (input, out) => {
    const ip = parseIp(input);
    expect(ip).not.toBeNull();
    expect(formatIp(ip!.family, ip!.value)).toBe(out);
  });

  test.each(['10.0.0.300', '10.0.0', '10.0.0.1.2', '010.0.0.1', '1:2:3:4:5:6:7:8:9', '1::2::3', 'hello', '', ' 10.0.0.1'])('%j is refused', (input) => {
    expect(parseIp(input)).toBeNull();
  });
});

describe('parseCidr', () => {
  test('normalises IPv6 and keeps the prefix', () => {
    expect(formatCidr(cidr('FD00:10:0::/64'))).toBe('fd00:10::/64');
  });
  test.each([
    ['10.0.0.0', /no prefix length/],
    ['10.0.0.300/24', /not an IPv4 or IPv6 network/],
    ['10.0.0.0/33', /prefixes run from 0 to 32/],
    ['10.0.0.0/-1', /invalid prefix length/],
    ['10.0.0.5/24', /host bits set; did you mean 10\.0\.0\.0\/24\?/],
    ['fd00::1/64', /did you mean fd00::\/64\?/],
  ])('%s: %s', (input, reason) => {
    const r = parseCidr(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('cidrsOverlap', () => {
  test.each([
    ['10.0.0.0/24', '10.0.0.0/16', true],
    ['10.0.1.0/24', '10.0.0.0/24', false],
    ['10.0.0.0/8', '10.255.255.252/30', true],
    ['10.0.0.0/31', '10.0.0.1/32', true],
    ['fd00::/64', 'fd00::/48', true],
    ['fd00::/64', '10.0.0.0/8', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(expected);
    expect(cidrsOverlap(cidr(b), cidr(a))).toBe(expected);
  });
});

describe('poolLayout', () => {
  test('a /24 gives .1 to the gateway and .2–.254 to devices', () => {
    const c = cidr('10.10.0.0/24');
    const l = poolLayout(c);
    expect(addressAt(c, l.gatewayOffset)).toBe('10.10.0.1');
    expect(l.devices && [addressAt(c, l.devices.first), addressAt(c, l.devices.last)]).toEqual(['10.10.0.2', '10.10.0.254']);
  });
  test('a /30 has room for one device between the gateway and the broadcast address', () => {
    const l = poolLayout(cidr('10.0.0.0/30'));
    expect(l).toEqual({ gatewayOffset: 1n, devices: { first: 2n, last: 2n } });
  });
  test('a /31 (RFC 3021) has no network or broadcast address: gateway first, one device second', () => {
    expect(poolLayout(cidr('10.0.0.0/31'))).toEqual({ gatewayOffset: 0n, devices: { first: 1n, last: 1n } });
  });
  test('a /32 holds the gateway alone', () => {
    expect(poolLayout(cidr('10.0.0.7/32'))).toEqual({ gatewayOffset: 0n, devices: null });
  });
  test('IPv6 has no broadcast address, so the last address is usable; huge pools are capped', () => {
    const small = poolLayout(cidr('fd00::/126'));
    expect(small.devices).toEqual({ first: 2n, last: 3n });
    const big = poolLayout(cidr('fd00::/64'));
    expect(big.devices?.last).toBe(1n << 40n);
  });
});
