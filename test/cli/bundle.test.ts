// `bulwark bundle export|verify|key` with the built CLI against a real `bulwark serve` child
// process (no host needed: the archive is checked here): what the export says and writes (0600,
// once), verify's listing, and its refusals of another key, a changed byte and a truncation.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { runCli, startChild, tempDir, type ChildServer } from '../helpers/server.js';

const tmp = tempDir('bulwark-cli-bundle-');
const dataDir = join(tmp.dir, 'data');
let server: ChildServer;
const cli = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);

beforeAll(async () => {
  server = await startChild(dataDir);
  expect((await cli('location', 'add', 'hq', '--network', '10.72.0.0/24', '--endpoint', 'vpn.example.com')).code).toBe(0);
  expect((await cli('host', 'add', 'gw1', '--ssh', 'root@198.51.100.10')).code).toBe(0);
  expect((await cli('gateway', 'add', '--location', 'hq', '--host', 'gw1')).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  tmp[Symbol.dispose]();
});

describe('bulwark bundle', () => {
  test('export: the platform asked for, then an archive written 0600 with what to run; verify lists it; refusals', async () => {
    const file = join(tmp.dir, 'gw1.tar.gz');
    const noPlatform = await cli('bundle', 'export', '--host', 'gw1', '-o', file);
    expect(noPlatform.code).toBe(2);
    expect(noPlatform.stderr).toMatch(/--os: Bulwark has not seen host gw1/);
    expect(noPlatform.stderr).toMatch(/--os debian-12 --arch x86_64/);

    const key = (await cli('bundle', 'key')).stdout.trim();
    expect(key).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const r = await cli('bundle', 'export', '--host', 'gw1', '--os', 'debian-12', '--arch', 'x86_64', '-o', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Signed by Core's bundle key ${key}`);
    expect(r.stdout).toMatch(/^gw1\s+\S+gw1\.tar\.gz\s+[\d.]+ MiB\s+8\s+2\s+0\s+\d{4}-\d\d-\d\d$/m);
    expect(r.stdout).toMatch(/holds its host's private keys/);
    expect(r.stdout).toMatch(new RegExp(`tar xzf gw1\\.tar\\.gz && \\./bulwark-gw1-[0-9a-f]{8}/install --expect-key ${key.replace(/[+/]/g, '\\$&')}`));
    expect(r.stdout).toMatch(/"sha256sum bulwark-gw1-[0-9a-f]{8}\/install" there must print [0-9a-f]{64}/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Core kept it for that one download only.
    const id = (await new HttpClient({ url: server.url, token: readFileSync(join(dataDir, 'token'), 'utf8').trim() }).call('events.list', {})).find((e) => e.kind === 'bundle.exported')!.details as { id: string };
    const again = new HttpClient({ url: server.url, token: readFileSync(join(dataDir, 'token'), 'utf8').trim() }).download('bundles', id.id, () => undefined);
    await expect(again).rejects.toThrow(/is waiting for download: each is fetched once/);

    const v = await cli('bundle', 'verify', file);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^Signed by:\\s+${key.replace(/[+/]/g, '\\$&')} \\(good signature\\)$`, 'm'));
    expect(v.stdout).toMatch(/^Secrets:\s+not sealed: the archive holds private keys in the clear$/m);
    expect(v.stdout).toMatch(/^\/etc\/bulwark\/wg\/hq\.key\s+key \(secret\)\s+600\s+45 B\s+files\/\d\d-hq\.key$/m);
    expect(v.stdout).toMatch(/^Units: bulwark-gateway\.service$/m);

    const otherKey = await cli('bundle', 'verify', file, '--key', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(otherKey.code).toBe(3);
    expect(otherKey.stderr).toMatch(/the key check failed: the bundle is signed by key SHA256:\S+, not by SHA256:A+, the key you expected/);

    const bytes = readFileSync(file);
    const half = join(tmp.dir, 'half.tar.gz');
    writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
    const cut = await cli('bundle', 'verify', half);
    expect(cut.code).toBe(3);
    expect(cut.stderr).toMatch(/the files check failed: the archive is truncated or damaged/);

    const bad = await cli('bundle', 'verify', file, '--key', 'nonsense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--key: nonsense: is not a signing key fingerprint/);
  });

  test('a passphrase shorter than 12 characters is refused, naming the flag', async () => {
    const pass = join(tmp.dir, 'pass');
    writeFileSync(pass, 'short\n');
    const r = await cli('bundle', 'export', '--host', 'gw1', '--passphrase-file', pass, '-o', join(tmp.dir, 'x.tar.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--passphrase-file: is too short; use at least 12 characters/);
  });
});
