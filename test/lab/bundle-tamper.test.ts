// Every way a bundle can be wrong, on a real host that installed a good one before: a flipped
// byte (in a config, in the runtime, in the manifest), an added file, a removed file, a
// symlink put in, a manifest re-signed with another key, an older bundle, an expired one, one
// for another host, one for another OS release, a truncated archive, a wrong passphrase. Each
// is refused with the check that failed, and the host's files stay exactly as they were, file
// by file. (Another architecture: Core refuses to export one with its runtime, and the check
// itself is in src-main/bundle-format/verify-bundle.test.ts.)
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressAt } from '../../src-main/net/ip.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createCore } from '../../src-main/system/system.js';
import { dataDirPaths, loadMasterKey } from '../../src-main/platform/data-dir.js';
import { fingerprintOf, publicKeyOfSeed, renderSignatureFile, signManifest } from '../../src-main/bundle-format/signature.js';
import { AGENTS_DIR, runCli, startInProcess } from '../helpers/server.js';
import { carry, exportBundle, install } from './bundle-setup.js';
import { snapshot } from './provision-checks.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('offline bundles refuse what is wrong', () => {
  test('tampering, age, target and passphrase: refused, nothing changed', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess();
    const work = mkdtempSync(join(tmpdir(), 'bulwark-tamper-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const gw = await lab.boot('gw');
    expect((await cli('location', 'add', 'office', '--network', '10.81.0.0/24', '--endpoint', `${gw.address}:51820`)).code).toBe(0);
    await srv.client.call('hosts.create', { name: 'gw', ssh: `root@${gw.address}`, identityFile: lab.keyFile });
    await srv.client.call('gateways.add', { location: 'office', host: 'gw' });
    // Another host of the lab's own range that nothing answers on (Core may dial it once it has a bundle).
    await srv.client.call('hosts.create', { name: 'gw2', ssh: `root@${addressAt(lab.prefix, 29n)}` });
    await srv.client.call('gateways.add', { location: 'office', host: 'gw2' });

    // An older bundle, made with Core's clock 40 days back (a fake clock: 40 days cannot pass
    // in a test). It is also expired: valid for 30 days.
    await srv.running.stop();
    const paths = dataDirPaths(srv.dataDir);
    const past = new Date(Date.now() - 40 * 86_400_000);
    const oldCore = createCore({ dbFile: paths.db, masterKey: loadMasterKey(paths), agentsDir: AGENTS_DIR, ports: { now: () => past } });
    const oldOut = await oldCore.invoke('bundles.export', { host: 'gw', os: 'debian-12', arch: 'x86_64', withPackages: false, validDays: 30, upgrade: false });
    const expired = { file: join(work, 'expired.tar.gz'), directory: oldOut.bundles[0]!.directory };
    copyFileSync(oldCore.downloads.bundles.file(oldOut.bundles[0]!.id)!.path, expired.file);
    oldCore.close();
    await srv.restart();

    // An older one that is still valid, then the newer good one, installed.
    const older = await exportBundle(srv, work, 'gw');
    expect((await cli('location', 'set', 'office', '--disconnect-threshold', '600')).code).toBe(0);
    const good = await exportBundle(srv, work, 'gw');
    const first = install(lab, 'gw', carry(lab, 'gw', good, 'good').install, ['--expect-key', good.fingerprint]);
    expect(first.code, first.out).toBe(0);
    const before = snapshot(lab, 'gw');
    expect(before).toContain('/var/lib/bulwark/bundle/signing-key');

    const cases: { name: string; prepare: (dir: string) => void; args?: string[]; bundle?: { file: string; directory: string }; expect: RegExp }[] = [
      { name: 'a flipped byte in a config', prepare: (d) => flip(lab, `${d}/files/06-gateway.json`), expect: /the files check failed: files\/06-gateway\.json does not match its SHA-256/ },
      { name: 'a flipped byte in the runtime', prepare: (d) => flip(lab, `${d}/bin/node`), expect: /bin\/node or bin\/bundle-install\.mjs is missing or does not match the digest in this launcher/ },
      { name: 'a flipped byte in the manifest', prepare: (d) => flip(lab, `${d}/manifest.json`), expect: /the signature check failed: manifest\.json does not match its signature/ },
      { name: 'an added file', prepare: (d) => sh(lab, 'echo extra > "$1/files/99-extra.conf"', d), expect: /the files check failed: files\/99-extra\.conf is not in the signed manifest/ },
      { name: 'a removed file', prepare: (d) => sh(lab, 'rm "$1/files/02-ca.pem"', d), expect: /the files check failed: files\/02-ca\.pem is missing/ },
      { name: 'a symlink put in', prepare: (d) => sh(lab, 'rm "$1/files/02-ca.pem" && ln -s /etc/passwd "$1/files/02-ca.pem"', d), expect: /the files check failed: files\/02-ca\.pem is a symbolic link/ },
      { name: 'a manifest re-signed with another key', prepare: (d) => resign(lab, d), expect: /the key check failed: the bundle is signed by key SHA256:\S+, but this host trusts only/ },
      { name: 'an older bundle', bundle: older, prepare: () => undefined, expect: /the downgrade check failed: the bundle was made at \S+, before what is installed/ },
      { name: 'an expired bundle', bundle: expired, prepare: () => undefined, expect: /the expiry check failed: the bundle expired at/ },
    ];
    const other = await exportBundle(srv, work, 'gw2', ['--os', 'debian-12', '--arch', 'x86_64']);
    cases.push({ name: 'a bundle for another host', bundle: other, prepare: () => undefined, expect: /the target check failed: this bundle is for host gw2, but this machine is Bulwark host gw/ });
    // Made for another release of Debian (Core believes what it is told): the host's own /etc/os-release refuses it.
    const release = await exportBundle(srv, work, 'gw', ['--os', 'debian-11', '--arch', 'x86_64']);
    cases.push({ name: 'a bundle for another OS release', bundle: release, prepare: () => undefined, expect: /the target check failed: .*debian 11.*debian 12/ });
    const sealed = await exportBundle(srv, work, 'gw', ['--passphrase-file', passphraseFile(work, 'correct horse battery staple')]);
    lab.exec('gw', ['sh', '-c', 'echo "not the passphrase at all" > /root/wrong-pass']);
    cases.push({ name: 'a wrong passphrase', bundle: sealed, prepare: () => undefined, args: ['--passphrase-file', '/root/wrong-pass'], expect: /the passphrase check failed: wrong passphrase/ });

    for (const [i, c] of cases.entries()) {
      const { install: installer } = carry(lab, 'gw', c.bundle ?? good, `case${i}`);
      c.prepare(installer.slice(0, installer.lastIndexOf('/')));
      const r = install(lab, 'gw', installer, c.args ?? []);
      expect(r.code, `${c.name}:\n${r.out}`).toBe(3);
      expect(r.out, c.name).toMatch(c.expect);
      expect(r.out, c.name).toMatch(/Nothing on this host was changed/);
      expect(snapshot(lab, 'gw'), c.name).toBe(before);
    }

    // A truncated archive: tar complains, and whatever it left is refused.
    const truncated = join(work, 'half.tar.gz');
    writeFileSync(truncated, readFileSync(good.file).subarray(0, Math.floor(readFileSync(good.file).length / 2)));
    const cut = carry(lab, 'gw', { file: truncated, directory: good.directory }, 'truncated');
    expect(cut.tar).toMatch(/unexpected end of file|Unexpected EOF/i);
    const r = install(lab, 'gw', cut.install);
    expect(r.code, r.out).toBe(3);
    expect(r.out).toMatch(/is missing or does not match the digest|is missing: the archive was truncated/);
    expect(snapshot(lab, 'gw')).toBe(before);

    // The sealed bundle with its passphrase installs (it is the newest).
    lab.exec('gw', ['sh', '-c', 'echo "correct horse battery staple" > /root/pass']);
    const ok = install(lab, 'gw', carry(lab, 'gw', sealed, 'sealed').install, ['--passphrase-file', '/root/pass']);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/^gw  check\s+ok\s+opens the secret files$/m);
  }, 420_000);
});

function sh(lab: Lab, script: string, dir: string): void {
  const r = lab.exec('gw', ['sh', '-c', script, 'sh', dir]);
  if (r.code !== 0) throw new Error(r.stderr);
}

/** Flips one bit of the byte in the middle of a file on the host (through its root in /proc). */
function flip(lab: Lab, path: string): void {
  const p = `/proc/${lab.initPid('gw')}/root${path}`;
  const b = readFileSync(p);
  const i = b.length >> 1;
  b[i] = b[i]! ^ 1;
  writeFileSync(p, b);
}

/** Changes the config, fixes its digest in the manifest, and signs that with a key of the attacker's. */
function resign(lab: Lab, dir: string): void {
  const manifest = JSON.parse(lab.exec('gw', ['cat', `${dir}/manifest.json`]).stdout);
  const seed = randomBytes(32);
  const bytes = Buffer.from(`${JSON.stringify({ ...manifest, signingKey: fingerprintOf(publicKeyOfSeed(seed)) }, null, 2)}\n`);
  const root = `/proc/${lab.initPid('gw')}/root`;
  writeFileSync(`${root}${dir}/manifest.json`, bytes);
  writeFileSync(`${root}${dir}/manifest.sig`, renderSignatureFile({ publicKey: publicKeyOfSeed(seed), signature: signManifest(seed, bytes), rotations: [] }));
}

function passphraseFile(dir: string, text: string): string {
  const p = join(dir, 'passphrase');
  writeFileSync(p, `${text}\n`, { mode: 0o600 });
  return p;
}
