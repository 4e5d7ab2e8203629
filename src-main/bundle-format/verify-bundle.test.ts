// The bundle checks on a real directory: a tiny signed bundle, then each way it can be wrong.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { BUNDLE_FORMAT, type BundleManifest } from '../contract/index.js';
import { fingerprintOf, parseSignatureFile, publicKeyOfSeed, renderSignatureFile, signManifest, signRotation, type KeyRotation } from './signature.js';
import { newEncryption, open, seal, unlock } from './sealing.js';
import { BundleRefused, checkAge, checkFiles, checkPassphrase, checkSignature, checkTarget, compareVersions, osRelease, type Trust } from './verify-bundle.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const seed = randomBytes(32);
const fp = fingerprintOf(publicKeyOfSeed(seed));

function manifestFor(entries: BundleManifest['entries'], over: Partial<BundleManifest> = {}): BundleManifest {
  return {
    format: BUNDLE_FORMAT,
    id: 'bundle-test-1',
    createdAt: '2026-12-01T00:00:00.000Z',
    notAfter: '2026-12-31T00:00:00.000Z',
    bulwarkVersion: '0.2.0',
    signingKey: fp,
    target: { host: 'gw1', os: { id: 'debian', versionId: '12' }, arch: 'x86_64' },
    entries,
    programs: { runtime: 'bin/node', hostApply: 'bin/host-apply.mjs' },
    host: {
      roles: ['gateway:hq'],
      files: [{ path: '/etc/bulwark/gateway.json', kind: 'config', mode: 0o640, sha256: sha('{}\n'), size: 3, secret: false, entry: 'files/00-gateway.json', encrypted: false }],
      units: [],
      needs: { host: 'gw1', sshUser: 'root', runtimeArch: 'x86_64', gateway: true, keepalived: false, edge: false, balancer: false, edgeBalancer: false, tcpPorts: [], udpPorts: [] },
    },
    packages: null,
    encryption: null,
    baseline: null,
    ...over,
  };
}

/** A signed bundle directory with three files. */
function bundle(over: Partial<BundleManifest> = {}, key = seed, rotations: KeyRotation[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-vb-'));
  dirs.push(dir);
  const files: [string, string, 0o755 | 0o644 | 0o600][] = [
    ['bin/node', '#!node', 0o755],
    ['bin/host-apply.mjs', 'apply', 0o644],
    ['files/00-gateway.json', '{}\n', 0o644],
  ];
  for (const [p, text, mode] of files) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
    chmodSync(join(dir, p), mode);
  }
  const m = manifestFor(files.map(([path, text, mode]) => ({ path, sha256: sha(text), size: Buffer.byteLength(text), mode })), { ...over, signingKey: fingerprintOf(publicKeyOfSeed(key)) });
  const bytes = Buffer.from(JSON.stringify(m));
  writeFileSync(join(dir, 'manifest.json'), bytes);
  writeFileSync(join(dir, 'manifest.sig'), renderSignatureFile({ publicKey: publicKeyOfSeed(key), signature: signManifest(key, bytes), rotations }));
  return dir;
}

const trust = (t: Partial<Trust> = {}): Trust => ({ pinned: null, expect: fp, replacePinned: false, pinnedWhere: '/var/lib/bulwark/bundle/signing-key', ...t });

function refusal(fn: () => unknown): { check: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof BundleRefused) return { check: err.check, message: err.message };
    throw err;
  }
  throw new Error('not refused');
}

describe('bundle checks', () => {
  test('a good bundle passes every check, with the given or the pinned key', () => {
    const dir = bundle();
    const s = checkSignature(dir, trust());
    expect(s).toMatchObject({ fingerprint: fp, pins: true });
    expect(checkSignature(dir, trust({ pinned: publicKeyOfSeed(seed), expect: null })).pins).toBe(false);
    checkFiles(dir, s.manifest);
    checkTarget(s.manifest, { recorded: null, hostname: 'gw1', os: { id: 'debian', versionId: '12' }, arch: 'x86_64' }, null);
    checkAge(s.manifest, new Date('2026-12-02T00:00:00Z'), null, false);
  });

  test('the key: none trusted yet, another one expected, another one pinned', () => {
    const dir = bundle();
    expect(refusal(() => checkSignature(dir, trust({ expect: null })))).toMatchObject({ check: 'key', message: expect.stringMatching(/trusts no signing key yet/) });
    const other = fingerprintOf(publicKeyOfSeed(randomBytes(32)));
    expect(refusal(() => checkSignature(dir, trust({ expect: other })))).toMatchObject({ check: 'key', message: expect.stringMatching(/not by SHA256:\S+, the key you expected/) });
    expect(refusal(() => checkSignature(dir, trust({ pinned: publicKeyOfSeed(randomBytes(32)), expect: null })))).toMatchObject({ check: 'key', message: expect.stringMatching(/trusts only/) });
    // A rotation: the admin names the new key and asks to replace the pinned one.
    expect(checkSignature(dir, trust({ pinned: publicKeyOfSeed(randomBytes(32)), expect: fp, replacePinned: true })).pins).toBe(true);
  });

  test("a rotated key: followed from the pinned one through each signed step, and through nothing else", () => {
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const pub = (k: Buffer) => publicKeyOfSeed(k);
    const step = (from: Buffer, to: Buffer): KeyRotation => ({ from: pub(from), to: pub(to), signature: signRotation(from, pub(to)) });
    const chain = [step(a, b), step(b, c)];
    // Signed by c; the host pinned a (two rotations ago), or b (one).
    const dir = bundle({}, c, chain);
    const fromA = checkSignature(dir, trust({ pinned: pub(a), expect: null }));
    expect(fromA).toMatchObject({ fingerprint: fingerprintOf(pub(c)), pins: true, rotatedFrom: fingerprintOf(pub(a)) });
    expect(checkSignature(dir, trust({ pinned: pub(b), expect: null })).rotatedFrom).toBe(fingerprintOf(pub(b)));
    // The signature file round-trips with its rotations.
    expect(parseSignatureFile(renderSignatureFile({ publicKey: pub(c), signature: Buffer.alloc(64), rotations: chain }))?.rotations).toEqual(chain);
    // A key the chain does not start from; a step signed by a key other than the one it leaves; the chain cut; an expected key that is not the signer.
    expect(refusal(() => checkSignature(dir, trust({ pinned: pub(randomBytes(32)), expect: null }))).check).toBe('key');
    const forged = { ...step(a, b), signature: signRotation(randomBytes(32), pub(b)) };
    expect(refusal(() => checkSignature(bundle({}, c, [forged, step(b, c)]), trust({ pinned: pub(a), expect: null }))).message).toMatch(/carries no rotation signed by it that leads there/);
    expect(refusal(() => checkSignature(bundle({}, c, [step(b, c)]), trust({ pinned: pub(a), expect: null }))).check).toBe('key');
    expect(refusal(() => checkSignature(dir, trust({ pinned: pub(a), expect: fingerprintOf(pub(b)) }))).check).toBe('key');
  });

  test('a changed manifest or a damaged signature file fails the signature check', () => {
    const dir = bundle();
    writeFileSync(join(dir, 'manifest.json'), '{"format":"bulwark-bundle/1"}');
    expect(refusal(() => checkSignature(dir, trust())).check).toBe('signature');
    writeFileSync(join(dir, 'manifest.sig'), 'bulwark-bundle-signature 1\nkey ed25519 x\n');
    expect(refusal(() => checkSignature(dir, trust())).message).toMatch(/not a Bulwark bundle signature/);
  });

  test('files: changed, added, removed, a link, a mode', () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      ['changed', (d) => writeFileSync(join(d, 'files/00-gateway.json'), '{}}'), /does not match its SHA-256/],
      ['added', (d) => writeFileSync(join(d, 'files/extra'), 'x'), /files\/extra is not in the signed manifest/],
      ['removed', (d) => rmSync(join(d, 'bin/host-apply.mjs')), /bin\/host-apply\.mjs is missing/],
      ['a link', (d) => symlinkSync('/etc/passwd', join(d, 'files/evil')), /files\/evil is a symbolic link/],
      ['a mode', (d) => chmodSync(join(d, 'bin/node'), 0o777), /bin\/node has mode 777, but the manifest says 755/],
      ['truncated', (d) => writeFileSync(join(d, 'files/00-gateway.json'), '{'), /is 1 bytes, but the manifest says 3/],
    ];
    for (const [name, spoil, message] of cases) {
      const dir = bundle();
      const s = checkSignature(dir, trust());
      spoil(dir);
      expect(refusal(() => checkFiles(dir, s.manifest)), name).toMatchObject({ check: 'files', message: expect.stringMatching(message) });
    }
  });

  test('a manifest that reaches outside Bulwark\'s paths is refused, even when signed', () => {
    const dir = bundle({ host: { ...manifestFor([]).host, files: [{ ...manifestFor([]).host.files[0]!, path: '/etc/shadow' }] } });
    expect(refusal(() => checkSignature(dir, trust()))).toMatchObject({ check: 'manifest', message: expect.stringMatching(/\/etc\/shadow, which is not one of Bulwark's paths/) });
  });

  test('target: another host, architecture or release', () => {
    const m = manifestFor([]);
    const here = { recorded: null, hostname: 'gw1', os: { id: 'debian', versionId: '12' }, arch: 'x86_64' };
    expect(refusal(() => checkTarget(m, { ...here, hostname: 'other' }, null)).message).toMatch(/run again with --host gw1/);
    checkTarget(m, { ...here, hostname: 'other' }, 'gw1');
    expect(refusal(() => checkTarget(m, { ...here, recorded: 'gw2' }, null)).message).toMatch(/this machine is Bulwark host gw2/);
    expect(refusal(() => checkTarget(m, { ...here, arch: 'aarch64' }, null)).message).toMatch(/for x86_64, but this host is aarch64/);
    expect(refusal(() => checkTarget(m, { ...here, os: { id: 'debian', versionId: '13' } }, null)).message).toMatch(/for debian 12, but this host runs debian 13/);
  });

  test('age: expired; older than what is installed, by time or by version; unless allowed', () => {
    const m = manifestFor([]);
    expect(refusal(() => checkAge(m, new Date('2027-01-01T00:00:00Z'), null, false)).check).toBe('expiry');
    const installed = { version: 1 as const, run: 'r', appliedAt: '2026-12-03T00:00:00Z', files: [], units: [], dirs: [] };
    const now = new Date('2026-12-04T00:00:00Z');
    expect(refusal(() => checkAge(m, now, installed, false)).check).toBe('downgrade');
    checkAge(m, now, installed, true);
    checkAge(m, now, { ...installed, appliedAt: '2026-11-30T00:00:00Z' }, false);
    expect(refusal(() => checkAge(m, now, { ...installed, appliedAt: '2026-11-30T00:00:00Z', bulwarkVersion: '0.10.0' }, false)).message).toMatch(/Bulwark 0\.2\.0, older than the 0\.10\.0 installed/);
    expect(compareVersions('0.10.0', '0.9.1')).toBe(1);
    expect(compareVersions('1.0.0', '1.0')).toBe(0);
  });

  test('sealing: the right passphrase opens, a wrong one or a moved file does not', () => {
    const { encryption, key } = newEncryption('correct horse battery staple');
    const sealed = seal(key, Buffer.from('secret key'), '/etc/bulwark/wg/hq.key');
    expect(open(key, sealed, '/etc/bulwark/wg/hq.key')?.toString()).toBe('secret key');
    expect(open(key, sealed, '/etc/bulwark/wg/other.key')).toBeNull();
    expect(unlock('correct horse battery staple', encryption)?.equals(key)).toBe(true);
    expect(unlock('wrong horse battery staple', encryption)).toBeNull();
    const m = manifestFor([], { encryption });
    expect(refusal(() => checkPassphrase(m, 'wrong horse battery staple'))).toMatchObject({ check: 'passphrase', message: expect.stringMatching(/wrong passphrase/) });
    expect(refusal(() => checkPassphrase(m, null)).message).toMatch(/--passphrase-file/);
  });

  test('os-release: quoted or not', () => {
    expect(osRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')).toEqual({ id: 'debian', versionId: '12' });
    expect(osRelease("ID='ubuntu'\nVERSION_ID=24.04")).toEqual({ id: 'ubuntu', versionId: '24.04' });
    expect(osRelease('')).toEqual({ id: 'unknown', versionId: 'unknown' });
  });

  test('the signature file is read strictly', () => {
    const text = renderSignatureFile({ publicKey: publicKeyOfSeed(seed), signature: signManifest(seed, Buffer.from('m')), rotations: [] });
    expect(parseSignatureFile(text)?.publicKey.equals(publicKeyOfSeed(seed))).toBe(true);
    expect(parseSignatureFile(`${text}extra\n`)).toBeNull();
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
