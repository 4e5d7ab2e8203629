// Bad input at the contract boundary: each case names the field and says how to fix it.
import { describe, expect, test } from 'vitest';
import { fromZodError, procedures, type ProcedureName } from './index.js';

function problems(name: ProcedureName, input: unknown) {
  const r = procedures[name].input.safeParse(input);
  expect(r.success, `${name} accepted ${JSON.stringify(input)}`).toBe(false);
  return fromZodError(r.error!);
}

const loc = { name: 'hq', network: '10.10.0.0/24', endpoint: 'vpn.example.com' };
const KEY = 'qN7fYbAbVfZVOkOYdGDd/m5GgWAC8rB6n4u8dNsz3G4=';

describe('locations.create input', () => {
  test('accepts a minimal location and fills the defaults', () => {
    expect(procedures['locations.create'].input.parse(loc)).toEqual({ ...loc, routes: [], mfa: false, disconnectThreshold: 300 });
  });

  test.each([
    [{ ...loc, routes: ['10.0.0.300/24'] }, 'routes.0', /./],
    [{ ...loc, name: '' }, 'name', /must not be empty/],
    [{ ...loc, name: 'h q' }, 'name', /not a valid name; use letters, digits/],
    [{ ...loc, name: 'hq\n' }, 'name', /not a valid name/],
    [{ ...loc, name: '$(reboot)' }, 'name', /not a valid name/],
    [{ ...loc, name: 'x'.repeat(64) }, 'name', /at most 63/],
    [{ ...loc, network: '10.0.0.300/24' }, 'network', /not an IPv4 or IPv6 network; use address\/prefix/],
    [{ ...loc, network: '10.0.0.1/24' }, 'network', /did you mean 10\.0\.0\.0\/24/],
    [{ ...loc, network: '0.0.0.0/0' }, 'network', /too large for an address pool .*use a \/8 or smaller/],
    [{ ...loc, network: '127.0.0.0/24' }, 'network', /overlaps 127\.0\.0\.0\/8 \(loopback\); use a private range/],
    [{ ...loc, network: '224.1.0.0/16' }, 'network', /multicast/],
    [{ ...loc, network: 'fe80::/64' }, 'network', /link-local/],
    [{ ...loc, network: 'fd00::/32' }, 'network', /use a \/48 or smaller/],
    [{ ...loc, endpoint: 'vpn.example.com:99999' }, 'endpoint', /from 1 to 65535/],
    [{ ...loc, mfa: true, disconnectThreshold: 59 }, 'disconnectThreshold', /at least 60 s/],
    [{ ...loc, disconnectThreshold: 1.5 }, 'disconnectThreshold', /expected a whole number, got number/],
    [{ ...loc, mfa: 'yes' }, 'mfa', /expected true or false, got string/],
    [{ ...loc, extra: 1 }, 'extra', /unknown field "extra"; remove it/],
    [{ name: 'hq', network: '10.10.0.0/24' }, 'endpoint', /is required/],
  ])('%j → %s', (input, field, message) => {
    const err = problems('locations.create', input);
    expect(err.code).toBe('invalid_input');
    expect(err.field).toBe(field);
    expect(err.issues[0]!.message).toMatch(message);
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });

  test('an MFA location may use exactly 60 s', () => {
    expect(procedures['locations.create'].input.safeParse({ ...loc, mfa: true, disconnectThreshold: 60 }).success).toBe(true);
  });
});

describe('hosts.create input', () => {
  test.each([
    [{ name: 'gw-1', ssh: '198.51.100.11' }, 'ssh', /has no user/],
    [{ name: 'gw-1', ssh: 'Root@198.51.100.11' }, 'ssh', /not a valid user name/],
    [{ name: 'gw-1', ssh: 'root@198.51.100.11:0' }, 'ssh', /from 1 to 65535/],
    [{ name: 'gw-1', ssh: 'root@bad host' }, 'ssh', /USER@ADDRESS\[:PORT\]/],
    [{ name: 'gw-1', ssh: 'root@gw', identityFile: 'id_ed25519' }, 'identityFile', /not an absolute path/],
    [{ name: 'gw-1', ssh: 'root@gw', identityFile: '/keys/x\u202Eyek.pub' }, 'identityFile', /text-direction character U\+202E/],
    [{ name: 'gw-1', ssh: 'root@gw', identityFile: '/keys/\uD800' }, 'identityFile', /not well-formed Unicode/],
  ])('%j → %s', (input, field, message) => {
    const err = problems('hosts.create', input);
    expect(err.field).toBe(field);
    expect(err.issues[0]!.message).toMatch(message);
  });
});

describe('devices.add input', () => {
  test('device names may hold spaces, quotes and $(): they are data, never code', () => {
    for (const name of [`Anna's "work" laptop`, 'x $(rm -rf /) `id`', 'ünïcödé ✓']) {
      expect(procedures['devices.add'].input.safeParse({ location: 'hq', name }).success).toBe(true);
    }
  });
  test.each([
    [{ location: 'hq', name: 'a\nb' }, 'name', /line break or control character/],
    [{ location: 'hq', name: 'tab\there' }, 'name', /control character/],
    [{ location: 'hq', name: '   ' }, 'name', /must not be empty/],
    [{ location: 'hq', name: ' lead' }, 'name', /starts or ends with a space/],
    [{ location: 'hq', name: 'x', publicKey: 'abc' }, 'publicKey', /not a WireGuard public key/],
    [{ location: 'hq', name: 'x', publicKey: `${KEY.slice(0, 42)}B=` }, 'publicKey', /base64 of 32 bytes/],
    [{ location: 'hq', name: 'x', publicKey: KEY + '=' }, 'publicKey', /44 characters/],
  ])('%j → %s', (input, field, message) => {
    const err = problems('devices.add', input);
    expect(err.field).toBe(field);
    expect(err.issues[0]!.message).toMatch(message);
  });
});

describe('issue #11: names that would lie on screen', () => {
  test.each([
    ['a lone high surrogate', 'Anna\uD800', /not well-formed Unicode/],
    ['a lone low surrogate', '\uDC00Anna', /not well-formed Unicode/],
    ['a right-to-left override', 'x\u202Egnp.exe', /U\+202E/],
    ['a first-strong isolate', 'a\u2068b', /U\+2068/],
    ['a pop directional isolate', 'a\u2069', /U\+2069/],
    ['a zero-width space', 'Anna\u200B', /U\+200B/],
    ['a zero-width joiner', 'An\u200Dna', /U\+200D/],
    ['a byte-order mark inside', 'An\uFEFFna', /U\+FEFF/],
    ['a soft hyphen', 'An\u00ADna', /U\+00AD/],
    ['a Cyrillic А among Latin letters', '\u0410nna', /mixes Cyrillic and Latin letters in the word "\u0410nna"/],
    ['a Greek ο among Latin letters', 'R\u03BFuter', /mixes Latin and Greek letters/],
    ['Latin letters in a Cyrillic word', 'Ноутбyк', /mixes Cyrillic and Latin letters/],
  ])('a device name with %s is refused, naming the character', (_what, name, message) => {
    for (const proc of ['devices.add', 'devices.remove', 'sessions.start'] as const) {
      const input = proc === 'sessions.start' ? { location: 'hq', device: name } : { location: 'hq', name };
      const err = problems(proc, input);
      expect(err.code).toBe('invalid_input');
      expect(err.issues[0]!.message).toMatch(message);
    }
  });

  test('a device name is stored composed (NFC): "é" as one character or as "e" and an accent is one name', () => {
    const decomposed = 'Rene\u0301';
    expect(procedures['devices.add'].input.parse({ location: 'hq', name: decomposed }).name).toBe('Ren\u00E9');
    expect(procedures['devices.remove'].input.parse({ location: 'hq', name: decomposed }).name).toBe('Ren\u00E9');
    expect(procedures['devices.add'].input.parse({ location: 'hq', name: '👍 ünïcödé' }).name).toBe('👍 ünïcödé');
  });

  test.each(['iPhone Анны', 'Ноутбук Анны', 'Λάπτοπ', '山田のMacBook', '김민준의 노트북', 'Anna-laptop 2', "Zoë's Mac", '👍 ünïcödé', 'محمد لابتوب'])(
    'the device name %j, each word in one script or a mix real writing uses, is accepted',
    (name) => expect(procedures['devices.add'].input.safeParse({ location: 'hq', name }).success).toBe(true),
  );

  test('locations.status checks the name like every other procedure', () => {
    expect(problems('locations.status', { name: '../x' }).field).toBe('name');
    expect(problems('locations.status', { name: '' }).issues[0]!.message).toMatch(/must not be empty/);
  });

  test.each(['.', '..', '-', '-eth0', 'eth0 ', 'x'.repeat(16)])('the failover interface %j is refused', (iface) => {
    const err = problems('locations.setFailover', { name: 'hq', mode: 'vrrp', vip: '198.51.100.100/24', interface: iface });
    expect(err.field).toBe('interface');
    expect(err.issues[0]!.message).toMatch(/is not an interface name; use the name `ip link` shows/);
  });

  test.each(['eth0', 'enp0s31f6', 'br-lan', 'eth0.100', 'wlan_1'])('the failover interface %j is accepted', (iface) => {
    expect(procedures['locations.setFailover'].input.safeParse({ name: 'hq', mode: 'vrrp', vip: '198.51.100.100/24', interface: iface }).success).toBe(true);
  });
});
