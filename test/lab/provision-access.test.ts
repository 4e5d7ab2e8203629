// Provisioning through passwordless sudo, a user without it, a frozen host among healthy ones,
// and roles taken away (their agents and files go at the next apply).
import { describe, expect, test } from 'vitest';
import { runCli, startInProcess } from '../helpers/server.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

/** A login user with the lab's key; with passwordless sudo when asked. */
function addUser(lab: Lab, host: string, user: string, sudo: boolean): void {
  const r = lab.exec(host, [
    'sh',
    '-c',
    'useradd -m -s /bin/sh "$1" && install -d -o "$1" -m 0700 "/home/$1/.ssh" && install -o "$1" -m 0600 /root/.ssh/authorized_keys "/home/$1/.ssh/authorized_keys" && if [ "$2" = yes ]; then echo "$1 ALL=(ALL) NOPASSWD: ALL" > "/etc/sudoers.d/$1"; fi',
    'sh',
    user,
    sudo ? 'yes' : 'no',
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
}

describe.skipIf(missing !== null)('provisioning access and roles', () => {
  test('sudo works, no sudo is named, a frozen host times out alone, removed roles are cleaned up', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess();
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [s, f] = await Promise.all([lab.boot('sdo'), lab.boot('frz')]);
    addUser(lab, 'sdo', 'deploy', true);
    addUser(lab, 'sdo', 'guest', false);
    await srv.client.call('locations.create', { name: 'office', network: '10.30.0.0/24', endpoint: 'vpn.example.com' });
    const pin = async (name: string) => {
      const own = lab.exec(name === 'frz' ? 'frz' : 'sdo', ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
      await srv.client.call('hosts.check', { name, accept: own });
    };
    await srv.client.call('hosts.create', { name: 'sdo', ssh: `deploy@${s.address}`, identityFile: lab.keyFile });
    await srv.client.call('hosts.create', { name: 'frz', ssh: `root@${f.address}`, identityFile: lab.keyFile });
    await pin('sdo');
    await pin('frz');
    await srv.client.call('gateways.add', { location: 'office', host: 'sdo' });
    await srv.client.call('gateways.add', { location: 'office', host: 'frz' });
    await srv.client.call('edges.add', { host: 'sdo' });

    // frz is frozen (every process stopped): its connection times out; sdo completes through sudo.
    lab.freeze('frz');
    let apply;
    try {
      apply = await cli('provision', 'apply');
    } finally {
      lab.freeze('frz', false);
    }
    expect(apply.code).toBe(1);
    expect(apply.stdout).toMatch(/^sdo\s+applied: 13 files; start bulwark-gateway\.service, start bulwark-edge\.service/m);
    expect(apply.stdout).toMatch(/^frz: failed at connect: host frz \(root@\S+\): cannot connect \(Timed out while waiting for handshake\)/m);
    expect(apply.stdout).toMatch(/^sdo  preflight ok  Debian GNU\/Linux 12 \(bookworm\), x86_64, sudo$/m);
    expect(lab.exec('sdo', ['stat', '-c', '%U %a', '/etc/bulwark/gateway.json']).stdout).toBe('root 640\n');
    expect(lab.exec('sdo', ['systemctl', 'is-active', 'bulwark-gateway.service', 'bulwark-edge.service']).stdout).toBe('active\nactive\n');
    expect((await cli('provision', 'apply', '--host', 'frz')).code).toBe(0);

    // A role whose agent fails its very first start: the rollback leaves no trace of it, not
    // even the enablement link systemd made (checked file by file, links included).
    // (The running gateway agent's own state, /var/lib/bulwark/gateway, changes as Core syncs it.)
    const state = () =>
      lab
        .exec('frz', ['sh', '-c', 'find /opt/bulwark /etc/bulwark /var/lib/bulwark /etc/systemd/system -xdev -printf "%p %y %m %u %s %l\\n" | sort; find /opt/bulwark /etc/bulwark /var/lib/bulwark /etc/systemd/system -xdev -type f -exec sha256sum {} + | sort -k2'])
        .stdout.split('\n')
        .filter((l) => !l.includes('/var/lib/bulwark/gateway'))
        .join('\n');
    lab.exec('frz', ['sh', '-c', 'mkdir -p /etc/systemd/system/bulwark-edge.service.d && printf "[Service]\\nExecStartPre=/bin/false\\n" > /etc/systemd/system/bulwark-edge.service.d/fail.conf']);
    const before = state();
    await srv.client.call('edges.add', { host: 'frz' });
    const first = await cli('provision', 'apply', '--host', 'frz');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^frz: failed at restart: systemctl enable --now -- bulwark-edge\.service failed/m);
    expect(first.stdout).toMatch(/The host was rolled back to its previous files and units\./);
    expect(state()).toBe(before);
    expect(lab.exec('frz', ['systemctl', 'is-active', 'bulwark-gateway.service']).stdout).toBe('active\n');
    lab.exec('frz', ['rm', '-r', '/etc/systemd/system/bulwark-edge.service.d']);
    await srv.client.call('edges.remove', { host: 'frz' });

    // A user who is neither root nor a sudoer: the preflight says so and how to fix it.
    await srv.client.call('hosts.create', { name: 'sdo-guest', ssh: `guest@${s.address}`, identityFile: lab.keyFile });
    await pin('sdo-guest');
    await srv.client.call('edges.add', { host: 'sdo-guest' });
    const guest = await cli('provision', 'apply', '--host', 'sdo-guest');
    expect(guest.code).toBe(1);
    expect(guest.stdout).toMatch(/^ {2}- guest is not root and has no passwordless sudo; connect as root, or allow it with "guest ALL=\(ALL\) NOPASSWD: ALL" in \/etc\/sudoers\.d\/bulwark$/m);
    await srv.client.call('edges.remove', { host: 'sdo-guest' });
    await srv.client.call('hosts.remove', { name: 'sdo-guest' });

    // Roles taken away: the edge agent goes at the next apply, the gateway stays untouched.
    const gwPid = lab.exec('sdo', ['systemctl', 'show', '-p', 'MainPID', '--value', 'bulwark-gateway.service']).stdout;
    await srv.client.call('edges.remove', { host: 'sdo' });
    const plan = await cli('provision', 'plan', '--host', 'sdo');
    expect(plan.stdout).toMatch(/^ {2}- \/opt\/bulwark\/edge\/agent\.mjs\s+remove$/m);
    expect(plan.stdout).toMatch(/^ {2}stop bulwark-edge\.service$/m);
    expect((await cli('provision', 'apply', '--host', 'sdo')).code).toBe(0);
    expect(lab.exec('sdo', ['sh', '-c', 'ls /etc/bulwark /etc/bulwark/tls /opt/bulwark/edge; systemctl is-active bulwark-edge.service']).stdout).toBe('/etc/bulwark:\ngateway.json\ntls\nwg\n\n/etc/bulwark/tls:\nca.pem\ngateway.key\ngateway.pem\n\n/opt/bulwark/edge:\ninactive\n');
    expect(lab.exec('sdo', ['systemctl', 'show', '-p', 'MainPID', '--value', 'bulwark-gateway.service']).stdout).toBe(gwPid);

    // The last role goes too: a plain `provision apply` still reaches the host and stops its agent.
    await srv.client.call('gateways.remove', { location: 'office', host: 'sdo' });
    // Forgetting it now would leave its agent running unmanaged: refused, with both ways out.
    const early = await cli('host', 'remove', 'sdo');
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/host "sdo" still runs Bulwark's agents \(last applied \S+\); take them off with "bulwark host uninstall sdo" first, or, if the machine is gone for good, forget it with "bulwark host remove sdo --force"/);
    const last = await cli('provision', 'apply');
    expect(last.stdout).toMatch(/^sdo\s+applied: 8 files; stop bulwark-gateway\.service/m);
    expect(lab.exec('sdo', ['sh', '-c', 'find /opt/bulwark /etc/bulwark -type f; ls /etc/systemd/system | grep bulwark; true']).stdout).toBe('');
    expect((await cli('host', 'remove', 'sdo')).code).toBe(0);
  }, 300_000);
});
