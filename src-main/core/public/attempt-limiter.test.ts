import { expect, test } from 'vitest';
import { addressSubject } from './attempt-limiter.js';

test('an IPv6 client is counted by its /64, an IPv4 one by its address', () => {
  expect(addressSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
  expect(addressSubject('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
  expect(addressSubject('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
  expect(addressSubject('203.0.113.9')).toBe('203.0.113.9');
});
