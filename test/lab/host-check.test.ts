// Host onboarding on a real lab host: the fingerprint shown is the host's own, accepting it
// pins it, and a host re-created from the image (new key) is refused before anything runs.
import { describe, expect, test } from 'vitest';
import { BulwarkError } from '../../src-main/contract/index.js';
import { runCli, startInProcess } from '../helpers/server.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('host check and key pinning', () => {
  test('show, accept, pin; a changed key stops everything and says how to re-pin', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess();
    const gw = await lab.boot('gw1');
    const own = lab.ssh('gw1', 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub').stdout.split(' ')[1];
    expect(own).toMatch(/^SHA256:/);
    await srv.client.call('hosts.create', { name: 'gw1', ssh: `root@${gw.address}`, identityFile: lab.keyFile });
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, 'host', 'check', 'gw1', ...args]);

    const first = await cli();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^Host key:\\s+${own!.replace(/[+/]/g, '\\$&')}$`, 'm'));
    expect(first.stdout).toMatch(/^OS:\s+Debian GNU\/Linux 12 \(bookworm\)$/m);
    expect(first.stdout).toMatch(/^Privileges:\s+root$/m);
    // The LAN: what a floating IP for this gateway must share a prefix with.
    expect(first.stdout).toMatch(new RegExp(`^LAN:\\s+${gw.address.replace(/\./g, '\\.')}/${lab.prefix.prefix} on eth0$`, 'm'));
    expect(first.stdout).toMatch(/not pinned yet.*\n\s+bulwark host check gw1 --accept SHA256:/);
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBeNull();

    const wrong = await cli('--accept', `SHA256:${'A'.repeat(43)}`);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--accept: host gw1 presents SHA256:\S+, not the SHA256:A+ you gave/);

    const accepted = await cli('--accept', own!);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/The host key is pinned/);
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBe(own);
    expect((await srv.client.call('events.list', { newest: true, limit: 1 }))[0]).toMatchObject({ kind: 'host.pinned', subject: 'host:gw1' });

    // Re-created from the image: a new host key at the same address.
    lab.powerOff('gw1');
    await lab.boot('gw1');
    const changed = await cli();
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/host gw1 \(root@\S+:22\): its SSH host key changed from SHA256:\S+ to SHA256:\S+\. Nothing was run on it\. This may be an attack/);
    expect(changed.stderr).toMatch(/bulwark host check gw1 --repin --accept SHA256:/);
    const fresh0 = lab.exec('gw1', ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
    // Clients get both keys as data, not only in the message (the UI's re-pin dialog uses them).
    await expect(srv.client.call('hosts.check', { name: 'gw1' })).rejects.toMatchObject({
      code: 'host_key_changed',
      details: { pinned: own!, presented: fresh0 },
    } satisfies Partial<BulwarkError>);
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBe(own);

    const fresh = lab.ssh('gw1', 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub').stdout.split(' ')[1]!;
    expect((await cli('--repin')).stderr).toMatch(/--repin: needs accept/);
    expect((await cli('--repin', '--accept', fresh)).code).toBe(0);
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBe(fresh);
  }, 180_000);
});
