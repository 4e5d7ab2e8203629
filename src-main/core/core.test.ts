// Core's services on a real SQLite file (no HTTP): the model's rules and address allocation.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshKeyPair } from '../../test/helpers/ssh-key.js';
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk, failure } from '../../test/helpers/core.js';
import { tempDir } from '../../test/helpers/server.js';
import type { Core } from '../system/system.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const newCore = () => coreOnDisk(cleanups);


const addLocation = (core: Core, name: string, network: string) => core.invoke('locations.create', { name, network, endpoint: 'vpn.example.com' });
const addDevice = (core: Core, location: string, name: string) => core.invoke('devices.add', { location, name });

describe('address allocation', () => {
  test('a /30 holds exactly one device; the next add says the pool is full', async () => {
    const { core } = newCore();
    await addLocation(core, 'tiny', '10.0.0.0/30');
    expect((await addDevice(core, 'tiny', 'a')).device.address).toBe('10.0.0.2/32');
    const err = await failure(addDevice(core, 'tiny', 'b'));
    expect(err.code).toBe('pool_exhausted');
    expect(err.message).toMatch(/address pool 10\.0\.0\.0\/30 of location tiny is full; remove unused devices or create a location with a larger network/);
  });

  test('a /31 gives the gateway the first address and one device the second', async () => {
    const { core } = newCore();
    const loc = await addLocation(core, 'p2p', '10.0.0.0/31');
    expect(loc.gatewayAddress).toBe('10.0.0.0');
    expect((await addDevice(core, 'p2p', 'a')).device.address).toBe('10.0.0.1/32');
    expect((await failure(addDevice(core, 'p2p', 'b'))).code).toBe('pool_exhausted');
  });

  test('a /32 location is refused: it has room for the gateway only', async () => {
    const { core } = newCore();
    const err = await failure(addLocation(core, 'one', '10.0.0.7/32'));
    expect(err.field).toBe('network');
    expect(err.message).toMatch(/room for the gateway only; use a \/31 or larger/);
  });

  test('a removed device\'s address is not handed out again before the pool wraps, even the highest', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.0.0.0/24');
    await addDevice(core, 'hq', 'a');
    expect((await addDevice(core, 'hq', 'b')).device.address).toBe('10.0.0.3/32');
    await core.invoke('devices.remove', { location: 'hq', name: 'b' });
    expect((await addDevice(core, 'hq', 'c')).device.address).toBe('10.0.0.4/32');
  });

  test('the counter wraps: the address freed longest ago comes back first', async () => {
    const { core } = newCore();
    await addLocation(core, 'small', '10.0.0.0/29');
    for (const n of ['a', 'b']) await addDevice(core, 'small', n);
    await core.invoke('devices.remove', { location: 'small', name: 'b' });
    const next = [];
    for (const n of ['c', 'd', 'e', 'f']) next.push((await addDevice(core, 'small', n)).device.address);
    expect(next).toEqual(['10.0.0.4/32', '10.0.0.5/32', '10.0.0.6/32', '10.0.0.3/32']);
  });

  test('never hands out the network, gateway or broadcast address; a freed address is reused once the pool wraps', async () => {
    const { core } = newCore();
    await addLocation(core, 'small', '10.0.0.0/29');
    const addrs: string[] = [];
    for (const n of ['a', 'b', 'c', 'd', 'e']) addrs.push((await addDevice(core, 'small', n)).device.address);
    expect(addrs).toEqual(['10.0.0.2/32', '10.0.0.3/32', '10.0.0.4/32', '10.0.0.5/32', '10.0.0.6/32']);
    expect((await failure(addDevice(core, 'small', 'f'))).code).toBe('pool_exhausted');
    await core.invoke('devices.remove', { location: 'small', name: 'c' });
    expect((await addDevice(core, 'small', 'f')).device.address).toBe('10.0.0.4/32');
    await core.invoke('devices.remove', { location: 'small', name: 'a' });
    expect((await addDevice(core, 'small', 'g')).device.address).toBe('10.0.0.2/32');
  });

  test('IPv6 pools allocate /128 addresses', async () => {
    const { core } = newCore();
    const loc = await addLocation(core, 'v6', 'fd00:10::/64');
    expect(loc.gatewayAddress).toBe('fd00:10::1');
    expect((await addDevice(core, 'v6', 'a')).device.address).toBe('fd00:10::2/128');
  });

  test('fifty concurrent adds get fifty distinct addresses', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => addDevice(core, 'hq', `d${i}`)));
    expect(new Set(results.map((r) => r.device.address)).size).toBe(50);
  });
});

describe('locations', () => {
  test('overlapping pools are refused, naming both locations\' networks', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.2.0/24');
    const err = await failure(addLocation(core, 'branch', '10.1.0.0/16'));
    expect(err.code).toBe('overlap');
    expect(err.field).toBe('network');
    expect(err.message).toBe('network: 10.1.0.0/16 overlaps location "hq" (10.1.2.0/24); choose a range that no other location uses');
  });

  test('names are unique regardless of case', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    const err = await failure(addLocation(core, 'HQ', '10.2.0.0/24'));
    expect(err.code).toBe('already_exists');
    expect(err.field).toBe('name');
  });

  test('removal is refused while gateways or devices remain, saying how to proceed', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    await core.invoke('hosts.create', { name: 'gw-1', ssh: 'root@198.51.100.11' });
    await core.invoke('gateways.add', { location: 'hq', host: 'gw-1' });
    await addDevice(core, 'hq', 'a');
    const err = await failure(core.invoke('locations.remove', { name: 'hq' }));
    expect(err.code).toBe('in_use');
    expect(err.message).toMatch(/still has 1 gateway and 1 device; remove them first with "bulwark gateway remove --location hq --host HOST" and "bulwark device remove --location hq NAME"/);
    await core.invoke('gateways.remove', { location: 'hq', host: 'gw-1' });
    await core.invoke('devices.remove', { location: 'hq', name: 'a' });
    await core.invoke('locations.remove', { name: 'hq' });
    expect(await core.invoke('locations.list', {})).toEqual([]);
  });

  test('the WireGuard private key is encrypted at rest: the database file never holds it in clear', async () => {
    const { core, dir } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    const priv = core.services.locations.privateKey('hq');
    core.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const raw = readFileSync(join(dir, 'bulwark.db'));
    expect(raw.includes(Buffer.from(priv))).toBe(false);
    expect(raw.includes(Buffer.from(Buffer.from(priv, 'base64')))).toBe(false);
  });

  test('every change writes its event in the same transaction, with the caller as actor', async () => {
    const { core } = newCore();
    await core.invoke('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' }, { actor: 'cli:alice@ws' });
    const events = await core.invoke('events.list', {});
    expect(events).toMatchObject([{ kind: 'location.created', subject: 'location:hq', actor: 'cli:alice@ws', details: { network: '10.1.0.0/24' } }]);
  });

  test('the audit trail by kind: oldest or newest first, after an id, within the limit', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    for (const name of ['a', 'b', 'c']) await addDevice(core, 'hq', name);
    await addLocation(core, 'branch', '10.2.0.0/24');
    const subjects = async (input: Parameters<typeof core.invoke<'events.list'>>[1]) => (await core.invoke('events.list', input)).map((e) => e.subject);
    expect(await subjects({ kind: 'device.added' })).toEqual(['device:hq/a', 'device:hq/b', 'device:hq/c']);
    expect(await subjects({ kind: 'device.added', newest: true, limit: 2 })).toEqual(['device:hq/b', 'device:hq/c']);
    const [first] = await core.invoke('events.list', { kind: 'device.added', limit: 1 });
    expect(await subjects({ kind: 'device.added', after: first!.id })).toEqual(['device:hq/b', 'device:hq/c']);
    expect(await subjects({ kind: 'location.created' })).toEqual(['location:hq', 'location:branch']);
    // With a run too, both must hold: no provisioning run made a device.
    expect(await subjects({ kind: 'device.added', run: 'ui-0123abcd' })).toEqual([]);
    expect((await failure(core.invoke('events.list', { kind: 'device.exploded' as never }))).field).toBe('kind');
  });
});

describe('issue #11: names Bulwark derives from a location name are its own', () => {
  test.each([['a_b'], ['a.b'], ['A_b']])('"%s" is refused once "a-b" exists: both would be bw_a_b in keepalived, nginx and Envoy', async (name) => {
    const { core } = newCore();
    await addLocation(core, 'a-b', '10.1.0.0/24');
    const err = await failure(addLocation(core, name, '10.2.0.0/24'));
    expect(err.code).toBe('already_exists');
    expect(err.field).toBe('name');
    expect(err.message).toBe(
      `name: location "${name}" would be bw_${name.replace(/[.-]/g, '_')} in keepalived, nginx and Envoy, which location "a-b" already is (they keep only letters, digits and "_"); choose a name that differs from "a-b" in more than ".", "-", "_" and case`,
    );
    expect((await core.invoke('locations.list', {})).map((l) => l.name)).toEqual(['a-b']);
  });

  test('a short name equal to a long name\'s hashed interface is refused, naming both', async () => {
    const { core } = newCore();
    // sha256("a-very-long-location-name") starts with 4802f39225c3.
    await addLocation(core, 'a-very-long-location-name', '10.1.0.0/24');
    const err = await failure(addLocation(core, '4802f39225c3', '10.2.0.0/24'));
    expect(err.code).toBe('already_exists');
    expect(err.message).toMatch(/^name: location "4802f39225c3" would get the WireGuard interface bw-4802f39225c3, which location "a-very-long-location-name" already has .*; choose another name$/);
  });

  test('names that differ in more than punctuation are fine', async () => {
    const { core } = newCore();
    await addLocation(core, 'a-b', '10.1.0.0/24');
    await addLocation(core, 'a-bc', '10.2.0.0/24');
    await addLocation(core, 'ab', '10.3.0.0/24');
  });
});

describe('issue #11: two locations never listen on one UDP port of one host', () => {
  const hosts = async (core: Core, ...names: string[]) => {
    for (const [i, name] of names.entries()) await core.invoke('hosts.create', { name, ssh: `root@198.51.100.${11 + i}` });
  };

  test('a host is refused as gateway of a second location with the same port; another port is fine', async () => {
    const { core } = newCore();
    await hosts(core, 'gw-1');
    await addLocation(core, 'hq', '10.1.0.0/24');
    await addLocation(core, 'lab', '10.2.0.0/24');
    await core.invoke('gateways.add', { location: 'hq', host: 'gw-1' });
    const err = await failure(core.invoke('gateways.add', { location: 'lab', host: 'gw-1' }));
    expect([err.code, err.field]).toEqual(['in_use', 'host']);
    expect(err.message).toBe(
      `host: location "lab" would listen on UDP port 51820 on host gw-1 (a gateway's WireGuard), where location "hq" already listens (a gateway's WireGuard); give one of them another port, such as "bulwark location set lab --endpoint vpn.example.com:51821", or use another host`,
    );
    await core.invoke('locations.update', { name: 'lab', endpoint: 'vpn.example.com:51821' });
    await core.invoke('gateways.add', { location: 'lab', host: 'gw-1' });
  });

  test('a location cannot move its port onto one that another location uses on a shared gateway', async () => {
    const { core } = newCore();
    await hosts(core, 'gw-1', 'gw-2');
    await core.invoke('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn.example.com:51820' });
    await core.invoke('locations.create', { name: 'lab', network: '10.2.0.0/24', endpoint: 'lab.example.com:51821' });
    await core.invoke('gateways.add', { location: 'hq', host: 'gw-1' });
    for (const h of ['gw-1', 'gw-2']) await core.invoke('gateways.add', { location: 'lab', host: h });
    const err = await failure(core.invoke('locations.update', { name: 'lab', endpoint: 'lab.example.com:51820' }));
    expect([err.code, err.field]).toEqual(['in_use', 'endpoint']);
    expect(err.message).toMatch(/^endpoint: location "lab" would listen on UDP port 51820 on host gw-1 .* where location "hq" already listens .*"bulwark location set lab --endpoint lab\.example\.com:51821"/);
    expect((await core.invoke('locations.get', { name: 'lab' })).endpointPort).toBe(51821);
    // The endpoint's host may change as long as the port stays.
    await core.invoke('locations.update', { name: 'lab', endpoint: 'other.example.com' });
  });

  test('lb mode: one balancer cannot take two locations on one port, nor a port its own gateway role uses', async () => {
    const { core } = newCore();
    await hosts(core, 'gw-1', 'gw-2', 'gw-3', 'lb-1');
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      await core.invoke('locations.create', { name, network: `10.${i + 1}.0.0/24`, endpoint: 'vpn.example.com' });
      await core.invoke('gateways.add', { location: name, host: `gw-${i + 1}` });
    }
    await core.invoke('locations.setFailover', { name: 'a', mode: 'lb', lbHost: 'lb-1' });
    const err = await failure(core.invoke('locations.setFailover', { name: 'b', mode: 'lb', lbHost: 'lb-1' }));
    expect([err.code, err.field]).toEqual(['in_use', 'lbHost']);
    expect(err.message).toMatch(/^lbHost: location "b" would listen on UDP port 51820 on host lb-1 \(the load balancer\), where location "a" already listens \(the load balancer\); give one of them another port/);
    expect((await core.invoke('locations.get', { name: 'b' })).failover.mode).toBe('none');
    // A balancer host is refused as a gateway on its balanced port, and the other way round.
    expect((await failure(core.invoke('gateways.add', { location: 'c', host: 'lb-1' }))).message).toMatch(/on host lb-1 \(a gateway's WireGuard\), where location "a" already listens \(the load balancer\)/);
    await core.invoke('locations.update', { name: 'b', endpoint: 'vpn.example.com:51821' });
    await core.invoke('locations.setFailover', { name: 'b', mode: 'lb', lbHost: 'lb-1' });
    const back = await failure(core.invoke('locations.update', { name: 'b', endpoint: 'vpn.example.com:51820' }));
    expect(back.message).toMatch(/on host lb-1 \(the load balancer\), where location "a" already listens/);
  });
});

describe('issue #11: device names are compared as they look', () => {
  test('"René" typed composed and decomposed is one name: the second add is refused, and either spelling finds it', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    expect((await addDevice(core, 'hq', 'Ren\u00E9')).device.name).toBe('Ren\u00E9');
    const err = await failure(addDevice(core, 'hq', 'Rene\u0301'));
    expect(err.code).toBe('already_exists');
    expect(err.field).toBe('name');
    await core.invoke('devices.remove', { location: 'hq', name: 'Rene\u0301' });
    expect(await core.invoke('devices.list', { location: 'hq' })).toEqual([]);
  });

  test('"Anna" and "Anna" with a zero-width space cannot coexist', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    await addDevice(core, 'hq', 'Anna');
    const err = await failure(addDevice(core, 'hq', 'Anna\u200B'));
    expect(err.field).toBe('name');
    expect(err.message).toMatch(/U\+200B/);
  });
});

/** A directory outside the data dir, for key files. */
function keyDir(): string {
  const t = tempDir();
  cleanups.push(() => t[Symbol.dispose]());
  return t.dir;
}

describe('issue #11: identityFile must be an SSH private key, checked when the host is added', () => {
  const add = (core: Core, identityFile: string) => core.invoke('hosts.create', { name: 'gw-1', ssh: 'root@gw', identityFile });
  const NOT_A_KEY = /^identityFile: (\S+) is not an SSH private key that the Bulwark server can read; give the path of the private key \(such as ~\/\.ssh\/id_ed25519, not the \.pub file\) readable by the user that runs Bulwark, or leave identityFile out to use the ssh-agent$/;

  test('missing, unreadable, not a key, a public key, a directory, a FIFO, a huge file: one 400 that names the field and tells nothing more', async () => {
    const { core } = newCore();
    const dir = keyDir();
    const pair = sshKeyPair();
    const files: Record<string, string> = {
      missing: join(dir, 'missing'),
      shadow: '/etc/shadow',
      passwd: '/etc/passwd',
      pub: join(dir, 'id.pub'),
      dir,
      fifo: join(dir, 'fifo'),
      huge: join(dir, 'huge'),
      unreadable: join(dir, 'unreadable'),
    };
    writeFileSync(files.pub!, pair.public);
    execFileSync('mkfifo', [files.fifo!]);
    writeFileSync(files.huge!, Buffer.alloc(1024 * 1024, 'a'));
    writeFileSync(files.unreadable!, pair.private, { mode: 0o000 });
    const messages = new Set<string>();
    for (const [what, path] of Object.entries(files)) {
      if (what === 'unreadable' && process.getuid?.() === 0) continue;
      const err = await failure(add(core, path));
      expect([what, err.code, err.field, err.httpStatus]).toEqual([what, 'invalid_input', 'identityFile', 400]);
      expect(err.message, what).toMatch(NOT_A_KEY);
      messages.add(err.message.replace(path, 'PATH'));
    }
    expect(messages.size).toBe(1);
    expect(await core.invoke('hosts.list', {})).toEqual([]);
  });

  test("a file in Bulwark's data dir is refused even when it is a private key, and so is a link into it", async () => {
    const { core, dir } = newCore();
    const inside = join(dir, 'id_ed25519');
    writeFileSync(inside, sshKeyPair().private, { mode: 0o600 });
    const link = join(keyDir(), 'key');
    symlinkSync(inside, link);
    for (const path of [inside, link, join(dir, 'bulwark.db'), join(dir, 'token'), `${dir}/../${dir.split('/').at(-1)}/bulwark.db`]) {
      const err = await failure(add(core, path));
      expect(err.field).toBe('identityFile');
      expect(err.message).toBe(`identityFile: ${path} is inside Bulwark's data directory (${dir}), which holds its own secrets; give the path of the SSH private key for this host, kept elsewhere`);
    }
  });

  test('a key file that stopped being a key after the host was added is a 400 naming identityFile at the next connection, not a crash', async () => {
    const { core } = newCore();
    const key = join(keyDir(), 'id_ed25519');
    writeFileSync(key, sshKeyPair().private, { mode: 0o600 });
    await core.invoke('hosts.create', { name: 'gw-1', ssh: 'root@127.0.0.1:1', identityFile: key });
    writeFileSync(key, 'root:x:0:0:root:/root:/bin/bash\n');
    const err = await failure(core.invoke('hosts.check', { name: 'gw-1' }));
    expect([err.code, err.field, err.httpStatus]).toEqual(['invalid_input', 'identityFile', 400]);
    expect(err.message).toMatch(/^identityFile: host gw-1 \(root@127\.0\.0\.1:1\): cannot use the key .*id_ed25519 \(Cannot parse privateKey: Unsupported key format\); point the host at an SSH private key/);
  });

  test('a key with a passphrase is refused with the way out; RSA in PEM and ECDSA keys are accepted', async () => {
    const { core } = newCore();
    const dir = keyDir();
    const locked = join(dir, 'locked');
    writeFileSync(locked, sshKeyPair('ed25519', 'secret').private, { mode: 0o600 });
    const err = await failure(add(core, locked));
    expect(err.message).toBe(`identityFile: ${locked} is protected by a passphrase, which Bulwark cannot enter; load the key into the ssh-agent and leave identityFile out, or use a key without a passphrase`);
    const rsa = join(dir, 'id_rsa');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey, { mode: 0o600 });
    expect((await add(core, rsa)).auth).toEqual({ kind: 'key', identityFile: rsa });
    const ecdsa = join(dir, 'id_ecdsa');
    writeFileSync(ecdsa, sshKeyPair('ecdsa').private, { mode: 0o600 });
    expect((await core.invoke('hosts.create', { name: 'gw-2', ssh: 'root@gw2', identityFile: ecdsa })).auth.kind).toBe('key');
  });
});

describe('hosts, gateways and edges', () => {
  test('a key file must exist; ssh-agent needs none', async () => {
    const { core } = newCore();
    const err = await failure(core.invoke('hosts.create', { name: 'gw-1', ssh: 'root@gw', identityFile: join(keyDir(), 'missing') }));
    expect(err.field).toBe('identityFile');
    expect(err.message).toMatch(/is not an SSH private key that the Bulwark server can read/);
    const key = join(keyDir(), 'id_ed25519');
    writeFileSync(key, sshKeyPair().private, { mode: 0o600 });
    const h = await core.invoke('hosts.create', { name: 'gw-1', ssh: 'admin@[2001:db8::1]:2222', identityFile: key });
    expect(h).toMatchObject({ sshUser: 'admin', sshAddress: '2001:db8::1', sshPort: 2222, auth: { kind: 'key', identityFile: key }, hostKeyFingerprint: null });
  });

  test('a host that serves as gateway or edge cannot be removed until those roles go', async () => {
    const { core } = newCore();
    await addLocation(core, 'hq', '10.1.0.0/24');
    await core.invoke('hosts.create', { name: 'h', ssh: 'root@h' });
    await core.invoke('gateways.add', { location: 'hq', host: 'h' });
    await core.invoke('edges.add', { host: 'h' });
    expect((await core.invoke('hosts.get', { name: 'h' })).roles).toEqual(['gateway:hq', 'edge']);
    const err = await failure(core.invoke('hosts.remove', { name: 'h' }));
    expect(err.code).toBe('in_use');
    expect(err.message).toMatch(/"bulwark gateway remove --location hq --host h" and "bulwark edge remove --host h"/);
    expect((await failure(core.invoke('gateways.add', { location: 'hq', host: 'h' }))).code).toBe('already_exists');
    expect((await failure(core.invoke('gateways.add', { location: 'nowhere', host: 'h' }))).field).toBe('location');
  });
});
