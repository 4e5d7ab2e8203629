import { describe, expect, test } from 'vitest';
import { formatEndpoint, parseEndpoint } from './endpoint.js';

describe('parseEndpoint', () => {
  test.each([
    ['vpn.example.com', { host: 'vpn.example.com', port: 51820 }],
    ['vpn.example.com:443', { host: 'vpn.example.com', port: 443 }],
    ['198.51.100.10', { host: '198.51.100.10', port: 51820 }],
    ['[2001:db8::1]:51821', { host: '2001:db8::1', port: 51821 }],
    ['2001:db8::1', { host: '2001:db8::1', port: 51820 }],
    ['gw-1', { host: 'gw-1', port: 51820 }],
  ])('%s', (input, expected) => {
    expect(parseEndpoint(input, 51820)).toEqual({ ok: true, value: expected });
  });

  test.each([
    ['a b', /not a valid host name/],
    ['vpn.example.com:0', /port "0" is not a number from 1 to 65535/],
    ['vpn.example.com:65536', /from 1 to 65535/],
    ['vpn.example.com:http', /port "http"/],
    ['10.0.0.300', /not a valid host name or IPv4 address/],
    ['-bad.example.com', /not a valid host name/],
    ['[2001:db8::1', /no closing "\]"/],
    ['$(reboot)', /not a valid host name/],
    ['', /not a valid host name/],
  ])('%j is refused: %s', (input, reason) => {
    const r = parseEndpoint(input, 51820);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  test('formats IPv6 hosts in brackets', () => {
    expect(formatEndpoint({ host: '2001:db8::1', port: 51820 })).toBe('[2001:db8::1]:51820');
    expect(formatEndpoint({ host: 'vpn.example.com', port: 1 })).toBe('vpn.example.com:1');
  });
});
