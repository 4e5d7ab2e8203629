// The lab itself, on real hosts that boot systemd: boot, SSH, per-host identity, power loss,
// and a teardown that leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isRunning, Lab, labMissing, removeLabLeftovers } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);
if (missing) console.warn(`SKIPPING lab tests: ${missing}`);

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

describe.skipIf(missing !== null)('lab', () => {
  test('boots two hosts with their own names and host keys; power-off and teardown are complete', async () => {
    const t0 = Date.now();
    const lab = await Lab.create((l) => console.log(l));
    const tCreated = Date.now();
    let dir = lab.dir;
    try {
      await Promise.all([lab.boot('gw1'), lab.boot('gw2')]);
      console.log(`lab: image+switch ${tCreated - t0} ms, two hosts booted to sshd in ${Date.now() - tCreated} ms`);
      expect(lab.ssh('gw1', 'hostname').stdout.trim()).toBe('gw1');
      expect(lab.ssh('gw2', 'hostname').stdout.trim()).toBe('gw2');
      const state = lab.ssh('gw1', 'systemctl is-system-running --wait').stdout.trim();
      expect(['running', 'degraded']).toContain(state);
      const key = (h: string) => lab.ssh(h, 'cat /etc/ssh/ssh_host_ed25519_key.pub').stdout.split(' ')[1];
      expect(key('gw1')).toBeTruthy();
      expect(key('gw1')).not.toBe(key('gw2'));
      for (const tool of ['keepalived --version', 'wireguard-go --version', 'wg --version', 'nginx -v']) {
        expect(lab.ssh('gw1', tool).code, tool).toBe(0);
      }
      // The hosts reach each other on the lab switch, and nothing else: no default route.
      expect(lab.ssh('gw1', `ping -c1 -W2 ${lab.hosts.get('gw2')!.address}`).code).toBe(0);
      expect(lab.ssh('gw1', 'ip route show default').stdout.trim()).toBe('');
      // Power loss: the host is gone at once.
      lab.powerOff('gw2');
      expect(lab.ssh('gw1', `ping -c1 -W1 ${lab.hosts.get('gw2')!.address}`).code).not.toBe(0);
      // Re-created from the image: a new host key.
      const before = key('gw1');
      lab.powerOff('gw1');
      await lab.boot('gw1');
      expect(key('gw1')).not.toBe(before);
    } finally {
      dir = lab.dir;
      await lab.down();
    }
    expect(namespaces()).not.toMatch(new RegExp(`bwl${lab.id}`));
    expect(existsSync(dir)).toBe(false);
    expect(execFileSync('ip', ['link'], { encoding: 'utf8' })).not.toMatch(new RegExp(`bwl${lab.id}a`));
  }, 240_000);

  test('a lab abandoned by a crashed test run is cleaned up by removeLabLeftovers (npm run lab:down)', async () => {
    const lab = await Lab.create();
    const host = await lab.boot('h1');
    // No lab.down(): as if the test process had died here.
    const removed = removeLabLeftovers(lab.id);
    expect(removed).toContain(`netns ${host.netns}`);
    expect(removed).toContain(`link bwl${lab.id}a`);
    expect(execFileSync('ip', ['link'], { encoding: 'utf8' })).not.toMatch(new RegExp(`bwl${lab.id}a`));
    expect(isRunning(host.nspawnPid)).toBe(false);
    expect(namespaces()).not.toMatch(new RegExp(`bwl${lab.id}`));
    expect(existsSync(lab.dir)).toBe(false);
  }, 120_000);
});
