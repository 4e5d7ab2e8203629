// An offline install: a bare lab host (no keepalived, no WireGuard tools) with its link down
// gets its gateway bundle, packages included, through its file system; no SSH and no network
// during the install. Then the link comes up: Core links to the agent, the plan over SSH says
// up to date, and a device's traffic flows. A second bundle with a changed config installs as
// an update; a third, whose install fails on the host, rolls back to exactly what was there.
// Then Core rotates its signing key, and the host follows with its next bundle.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { runCli, startInProcess } from '../helpers/server.js';
import { carry, exportBundle, install } from './bundle-setup.js';
import { health, snapshot, unitState } from './provision-checks.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const POOL = '10.79.0.0/24';

describe.skipIf(missing !== null)('offline bundles', () => {
  test('a bare host with no network installs its bundle, packages included; links up; an update; a failed one rolls back', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 500, downAfterMs: 3000 } });
    const work = mkdtempSync(join(tmpdir(), 'bulwark-bundle-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [gw] = await Promise.all([lab.boot('gw', { bare: true }), lab.boot('client')]);
    expect(lab.exec('gw', ['sh', '-c', `for c in keepalived wireguard-go wg; do command -v $c; done; true`]).stdout.trim()).toBe('');
    // From now on the host has no network at all: its only link is down.
    lab.cutLink('gw');

    expect((await cli('location', 'add', 'office', '--network', POOL, '--endpoint', `${gw.address}:51820`)).code).toBe(0);
    await srv.client.call('hosts.create', { name: 'gw', ssh: `root@${gw.address}`, identityFile: lab.keyFile });
    await srv.client.call('gateways.add', { location: 'office', host: 'gw' });
    const t0 = Date.now();
    const b = await exportBundle(srv, work, 'gw', ['--with-packages', '--os', 'debian-12', '--arch', 'x86_64']);
    console.log(`export with packages: ${Date.now() - t0} ms`);
    expect(b.stdout).toMatch(/holds its host's private keys/);
    expect(b.stdout).toMatch(/^gw\s+\S+\s+[\d.]+ MiB\s+8\s+2\s+\d+\s+\d{4}-\d\d-\d\d$/m);

    const { install: installer } = carry(lab, 'gw', b, 'b1');
    // A check first: it says which packages the install would add, and changes nothing.
    const check = install(lab, 'gw', installer, ['--expect-key', b.fingerprint, '--check']);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/^gw  preflight\s+ok\s+would install wireguard-tools wireguard-go from the bundle with apt-get$/m);
    expect(check.out).toMatch(/^gw  inspect\s+ok\s+would add \/etc\/bulwark\/gateway\.json$/m);
    expect(check.out).toMatch(/^gw  checked: the bundle is good; nothing was changed \(--check\)/m);
    expect(lab.exec('gw', ['sh', '-c', 'command -v wg wireguard-go; ls /etc/bulwark /var/lib/bulwark/bundle 2>&1']).stdout).not.toMatch(/\/usr\/bin\/wg|gateway\.json|signing-key/);
    const first = install(lab, 'gw', installer, ['--expect-key', b.fingerprint]);
    console.log(first.out);
    expect(first.code, first.out).toBe(0);
    // The same step list as an apply's, after the bundle's own checks and the packages.
    for (const step of ['check', 'preflight', 'inspect', 'stage', 'backup', 'install', 'reload', 'restart', 'verify']) expect(first.out).toMatch(new RegExp(`^gw  ${step}\\s+ok`, 'm'));
    expect(first.out).toMatch(/installing wireguard-tools wireguard-go from the bundle with apt-get/);
    expect(first.out).toMatch(/^gw  installed: bundle \S+ is installed/m);
    expect(lab.exec('gw', ['sh', '-c', 'command -v wg wireguard-go']).code).toBe(0);
    expect(unitState(lab, 'gw', 'bulwark-gateway.service').active).toBe('active');
    expect(lab.exec('gw', ['cat', '/var/lib/bulwark/bundle/host']).stdout).toBe('gw\n');

    // The network comes back: Core reaches the agent and links; the plan over SSH agrees.
    lab.cutLink('gw', false);
    await until('the link to the gateway', async () => (await srv.client.call('links.list', {})).find((l) => l.agent === 'gateway:gw' && l.state === 'up' && l.healthy), 45_000);
    const own = lab.exec('gw', ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
    await srv.client.call('hosts.check', { name: 'gw', accept: own });
    const plan = await srv.client.call('provision.plan', { host: 'gw' });
    expect(plan.hosts[0], JSON.stringify(plan.hosts[0])).toMatchObject({ host: 'gw', status: 'up_to_date' });

    // A device's traffic flows through the gateway.
    const added = await cli('device', 'add', '--location', 'office', 'laptop');
    expect(added.code, added.stderr).toBe(0);
    const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', added.stdout]);
    expect(up.code, up.stderr).toBe(0);
    const gatewayAddress = POOL.replace(/0\/24$/, '1');
    await until('a ping through the tunnel', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', gatewayAddress]).code === 0, 15_000);

    // An update: a changed config, as an upgrade bundle (only what changed; the host's own
    // runtime runs the installer). The host needs no --expect-key now.
    expect((await cli('location', 'set', 'office', '--disconnect-threshold', '600')).code).toBe(0);
    const b2 = await exportBundle(srv, work, 'gw', ['--upgrade']);
    expect(statSync(b2.file).size).toBeLessThan(1024 * 1024);
    const update = install(lab, 'gw', carry(lab, 'gw', b2, 'b2').install);
    expect(update.code, update.out).toBe(0);
    expect(update.out).toMatch(/^gw  inspect\s+ok\s+1 file and 1 unit to change$/m);
    expect(update.out).toMatch(/^gw  restart\s+ok/m);
    const cfg = lab.exec('gw', ['cat', '/etc/bulwark/gateway.json']).stdout;
    expect(cfg).toContain('"disconnectThreshold": 600');
    expect(health(lab, 'gw', 9461).ok).toBe(true);
    await until('the ping again after the update', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', gatewayAddress]).code === 0, 15_000);

    // A third bundle whose install fails on the host (its config directory is read-only): rolled back.
    expect((await cli('location', 'set', 'office', '--endpoint', `${gw.address}:51821`)).code).toBe(0);
    const b3 = await exportBundle(srv, work, 'gw');
    const { install: third } = carry(lab, 'gw', b3, 'b3');
    const before = snapshot(lab, 'gw', { skipStaging: true });
    lab.makeReadOnly('gw', '/etc/bulwark');
    try {
      const failed = install(lab, 'gw', third);
      expect(failed.code, failed.out).toBe(1);
      expect(failed.out).toMatch(/^gw  install\s+FAILED\s+cannot write \/etc\/bulwark\/gateway\.json/m);
      expect(failed.out).toMatch(/^gw  rollback\s+ok/m);
      expect(failed.out).toMatch(/^gw  rolled_back: /m);
    } finally {
      lab.makeWritable('gw', '/etc/bulwark');
    }
    expect(snapshot(lab, 'gw', { skipStaging: true })).toBe(before);
    expect(unitState(lab, 'gw', 'bulwark-gateway.service').active).toBe('active');
    await until('the ping after the rollback', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', gatewayAddress]).code === 0, 15_000);

    // Core's signing key rotated: the host, which pinned the old key, takes the next bundle with
    // no flag (the old key signed the new one) and pins the new key.
    const pinnedBefore = lab.exec('gw', ['cat', '/var/lib/bulwark/bundle/signing-key']).stdout;
    const rotated = await cli('bundle', 'key', '--rotate');
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKey = /^ {2}now (SHA256:\S+)$/m.exec(rotated.stdout)![1]!;
    expect(newKey).not.toBe(b.fingerprint);
    const b4 = await exportBundle(srv, work, 'gw');
    expect(b4.fingerprint).toBe(newKey);
    const fourth = install(lab, 'gw', carry(lab, 'gw', b4, 'b4').install);
    expect(fourth.code, fourth.out).toBe(0);
    expect(fourth.out).toContain(`signed by ${newKey} (Core's key after the pinned ${b.fingerprint}, by its signed rotation)`);
    const pinnedAfter = lab.exec('gw', ['cat', '/var/lib/bulwark/bundle/signing-key']).stdout;
    expect(pinnedAfter).not.toBe(pinnedBefore);
    // A bundle signed by the old key is now refused: the host trusts the new one only.
    const old = install(lab, 'gw', third);
    expect(old.code, old.out).toBe(3);
    expect(old.out).toMatch(/the key check failed: the bundle is signed by key \S+, but this host trusts only/);
  }, 420_000);
});
