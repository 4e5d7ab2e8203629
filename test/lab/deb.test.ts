// The Debian package of headless Core on a real host: a lab host with no Node and no network
// installs it with apt from the file alone; the service runs as its own user on loopback;
// root and members of the bulwark group use the CLI without flags, others are told why not;
// the UI is served. An upgrade to a second build keeps a location made before it; remove
// keeps the data, and purge leaves no file of Bulwark's. A backup restored as the README says
// (as the service's user, into its emptied data dir) brings back what was there when it was made.
// Served with TLS on every address, the CLI on the host still needs no flags (it pins).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { ROOT, selfSignedCert } from '../helpers/server.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

/** Builds the package (gzip: quicker than the release's xz) into `dir`; returns its path. */
function buildDeb(dir: string, version: string): string {
  const out = execFileSync(process.execPath, [join(ROOT, 'resources/package-deb.mjs')], { env: { ...process.env, BULWARK_DEB_OUT: dir, BULWARK_DEB_VERSION: version, BULWARK_DEB_COMPRESSION: 'gzip' }, encoding: 'utf8' });
  return out.split(':')[0]!.trim();
}

const lintianMissing = spawnSync('lintian', ['--version']).status === 0 ? null : 'lintian is not installed (apt-get install lintian)';
if (lintianMissing && process.env.CI === 'true') throw new Error(lintianMissing);

describe.skipIf(missing !== null)('the Debian package', () => {
  const work = mkdtempSync(join(tmpdir(), 'bulwark-deb-'));
  let first = '';
  let second = '';
  beforeAll(() => {
    first = buildDeb(work, '0.1.0');
    second = buildDeb(work, '0.1.1');
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test.skipIf(lintianMissing !== null)('lintian finds no error (its one override is justified in the package)', () => {
    const r = spawnSync('lintian', ['--fail-on', 'error', first], { encoding: 'utf8', timeout: 300_000 });
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('E: '));
    expect(errors, r.stdout).toEqual([]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 300_000);

  test('install offline, the service and the CLI, the UI on loopback; upgrade keeps the data; purge leaves nothing', async () => {
    await using lab = await Lab.create();
    await lab.boot('core');
    const sh = (script: string, ...args: string[]) => lab.exec('core', ['sh', '-c', script, 'sh', ...args], 120_000);
    expect(sh('command -v node nodejs').stdout).toBe('');
    // No network at all: apt has only the file.
    lab.cutLink('core');

    lab.putFile('core', first, '/root/bulwark_0.1.0.deb');
    const installed = lab.exec('core', ['sh', '-c', 'apt-get install -y -q /root/bulwark_0.1.0.deb 2>&1'], 120_000);
    expect(installed.code, installed.stdout).toBe(0);
    await until('the service to publish its address', () => sh('test -f /run/bulwark-core/server.json').code === 0, 30_000);
    expect(sh('systemctl is-active bulwark.service').stdout.trim()).toBe('active');
    // Its own user, its own data dir (0700), listening on loopback only.
    expect(sh('stat -c "%U %a" /var/lib/bulwark-core').stdout.trim()).toBe('bulwark 700');
    expect(sh('ps -o user= -C node').stdout.trim()).toBe('bulwark');
    expect(sh('ss -ltnH').stdout).toMatch(/127\.0\.0\.1:7420\b/);
    expect(sh('ss -ltnH').stdout).not.toMatch(/(0\.0\.0\.0|\*|\[::\]):7420\b/);

    // Root uses the CLI with no flags.
    const add = sh('bulwark location add hq --network 10.76.0.0/24 --endpoint vpn.example.com 2>&1');
    expect(add.code, add.stdout).toBe(0);
    const status = sh('bulwark status 2>&1');
    expect(status.code, status.stdout).toBe(0);
    // Another user is told to use sudo or join the group; a member of the group may.
    sh('useradd -m alice');
    const alice = sh('runuser -u alice -- bulwark location list 2>&1');
    expect(alice.code).not.toBe(0);
    expect(alice.stdout).toMatch(/are for root and the bulwark group; run the command with sudo, or join the group/);
    sh('adduser -q alice bulwark');
    const member = sh('runuser -u alice -- bulwark location list 2>&1');
    expect(member.code, member.stdout).toBe(0);
    expect(member.stdout).toMatch(/^hq\s/m);
    // The UI, on loopback, from the package's own runtime (the host has no curl to rely on).
    const ui = sh(`/usr/lib/bulwark/agents/runtime/node -e "fetch('http://127.0.0.1:7420/').then(async (r) => console.log(r.status, (await r.text()).includes('<div id=\\"root\\"')))"`);
    expect(ui.stdout.trim()).toBe('200 true');

    // An upgrade: the new program, the same data.
    lab.putFile('core', second, '/root/bulwark_0.1.1.deb');
    const upgraded = lab.exec('core', ['sh', '-c', 'apt-get install -y -q /root/bulwark_0.1.1.deb 2>&1'], 120_000);
    expect(upgraded.code, upgraded.stdout).toBe(0);
    expect(sh("dpkg-query -W -f '${Version}' bulwark").stdout).toBe('0.1.1');
    await until('the upgraded service to answer', () => sh('bulwark location list 2>&1').stdout.includes('hq'), 30_000);
    expect(sh('systemctl is-active bulwark.service').stdout.trim()).toBe('active');

    // A backup by the running service, then a restore as the README says (as the service's user,
    // into its emptied data dir): what was made after the backup is gone, what was before is back.
    sh('umask 077 && echo "correct horse battery staple" > /var/tmp/pass && chown bulwark /var/tmp/pass');
    const backup = sh('bulwark backup -o /var/tmp/core.bulwark-backup --passphrase-file /var/tmp/pass 2>&1 && chown bulwark /var/tmp/core.bulwark-backup');
    expect(backup.code, backup.stdout).toBe(0);
    expect(sh('bulwark location add after --network 10.79.0.0/24 --endpoint vpn.example.com 2>&1').code).toBe(0);
    const restore = sh(
      'systemctl stop bulwark && mv /var/lib/bulwark-core /var/lib/bulwark-core.before-restore && install -d -o bulwark -g bulwark -m 0700 /var/lib/bulwark-core && ' +
        'sudo -u bulwark bulwark restore /var/tmp/core.bulwark-backup --data-dir /var/lib/bulwark-core --passphrase-file /var/tmp/pass 2>&1 && systemctl start bulwark',
    );
    expect(restore.code, restore.stdout).toBe(0);
    await until('the restored service to answer', () => sh('bulwark location list 2>&1').stdout.includes('hq'), 30_000);
    expect(sh('bulwark location list 2>&1').stdout).not.toMatch(/^after\s/m);
    sh('rm -rf /var/lib/bulwark-core.before-restore /var/tmp/pass /var/tmp/core.bulwark-backup');

    // Beyond loopback, as /etc/default/bulwark says: TLS on every address. The CLI on the host
    // still needs no flags: it dials loopback and pins the certificate's fingerprint, which is
    // for a name (core.example.test) it never dials and signed by nobody it trusts.
    const { cert, key } = selfSignedCert(work, 'core.example.test', 'DNS:core.example.test');
    sh('install -d /etc/bulwark-core');
    lab.putFile('core', cert, '/etc/bulwark-core/tls.crt');
    lab.putFile('core', key, '/etc/bulwark-core/tls.key');
    const tls = sh(
      'chown -R root:bulwark /etc/bulwark-core && chmod 0750 /etc/bulwark-core && chmod 0640 /etc/bulwark-core/tls.key && ' +
        "sed -i 's/^BULWARK_LISTEN=.*/BULWARK_LISTEN=0.0.0.0:7420/; s|^BULWARK_SERVE_ARGS=.*|BULWARK_SERVE_ARGS=--tls-cert /etc/bulwark-core/tls.crt --tls-key /etc/bulwark-core/tls.key|' /etc/default/bulwark && " +
        'systemctl restart bulwark 2>&1',
    );
    expect(tls.code, tls.stdout).toBe(0);
    // server.json comes after the listen: wait for it, with the certificate's fingerprint.
    await until('the service to publish its HTTPS address', () => sh('grep -qs fingerprint /run/bulwark-core/server.json').code === 0, 30_000);
    expect(sh('ss -ltnH').stdout).toMatch(/0\.0\.0\.0:7420\b/);
    expect(JSON.parse(sh('cat /run/bulwark-core/server.json').stdout)).toMatchObject({ url: 'https://127.0.0.1:7420', fingerprint: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/) });
    const pinned = sh('bulwark location list 2>&1');
    expect(pinned.code, pinned.stdout).toBe(0);
    expect(pinned.stdout).toMatch(/^hq\s/m);
    expect(sh('runuser -u alice -- bulwark status 2>&1').code).toBe(0);
    sh('rm -rf /etc/bulwark-core');

    // Remove keeps the data; purge takes everything of Bulwark's.
    expect(sh('apt-get remove -y -q bulwark 2>&1').code).toBe(0);
    expect(sh('test -f /var/lib/bulwark-core/bulwark.db').code).toBe(0);
    expect(sh('systemctl is-active bulwark.service').stdout.trim()).not.toBe('active');
    expect(sh('apt-get purge -y -q bulwark 2>&1').code).toBe(0);
    const left = sh("find / -xdev \\( -path /proc -o -path /sys -o -path /root -o -path /home \\) -prune -o -name '*bulwark*' -print 2>/dev/null").stdout.trim();
    expect(left).toBe('');
    expect(sh('test -e /run/bulwark-core').code).not.toBe(0);
    expect(sh('dpkg -s bulwark 2>&1').code).not.toBe(0);
  }, 420_000);
});
