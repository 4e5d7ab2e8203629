// The built `bulwark` CLI end to end against a real `bulwark serve` child process:
// every command, text and --json output, and exit codes (0 ok, 2 bad input, 1 other).
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sshKeyPair } from '../helpers/ssh-key.js';
import { runCli, startChild, tempDir, type ChildServer } from '../helpers/server.js';

const tmp = tempDir('bulwark-cli-');
const dataDir = join(tmp.dir, 'data');
let server: ChildServer;
const cli = (...args: string[]) => runCli(['--data-dir', dataDir, ...args]);

beforeAll(async () => {
  server = await startChild(dataDir);
});
afterAll(async () => {
  await server?.stop();
  tmp[Symbol.dispose]();
});

describe('bulwark CLI', () => {
  test('the built CLI runs by its own path, as `npm link` puts it on the PATH', async () => {
    const { execFile } = await import('node:child_process');
    const { CLI } = await import('../helpers/server.js');
    expect(statSync(CLI).mode & 0o111, `${CLI} must be executable after "npm run build"`).toBe(0o111);
    const help = await new Promise<string>((done, fail) => execFile(CLI, ['--help'], (err, stdout) => (err ? fail(err) : done(stdout))));
    expect(help).toMatch(/^Usage: bulwark/);
  });

  test('--help everywhere', async () => {
    for (const args of [['--help'], ['location', '--help'], ['location', 'add', '--help'], ['device', 'add', '--help'], ['serve', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: bulwark/);
    }
  });

  test('location add / list / show, in text and JSON', async () => {
    const add = await cli('location', 'add', 'hq', '--network', '10.20.0.0/24', '--endpoint', 'vpn.example.com:51821');
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toMatch(/^Created location hq: pool 10\.20\.0\.0\/24, gateway 10\.20\.0\.1, endpoint vpn\.example\.com:51821, public key \S{44}$/m);
    const mfa = await cli('location', 'add', 'secure', '--network', '10.21.0.0/24', '--endpoint', 'vpn2', '--mfa', '--disconnect-threshold', '120', '--json');
    expect(mfa.code).toBe(0);
    expect(JSON.parse(mfa.stdout)).toMatchObject({ name: 'secure', mfa: true, disconnectThreshold: 120, endpointPort: 51820 });
    const list = await cli('location', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+NETWORK\s+ENDPOINT\s+MFA\s+GATEWAYS\s+DEVICES$/);
    expect(list.stdout).toMatch(/^hq\s+10\.20\.0\.0\/24\s+vpn\.example\.com:51821\s+off\s+0\s+0$/m);
    const json = JSON.parse((await cli('location', 'list', '--json')).stdout) as { name: string }[];
    expect(json.map((l) => l.name)).toEqual(['hq', 'secure']);
    const show = await cli('location', 'show', 'hq');
    expect(show.stdout).toMatch(/^Gateway address:\s+10\.20\.0\.1$/m);
    expect(JSON.parse((await cli('location', 'show', 'hq', '--json')).stdout)).toMatchObject({ name: 'hq', gateways: [] });
  });

  test('bad input exits 2 and names the flag and the fix; nothing is stored', async () => {
    const cases: [string[], RegExp][] = [
      [['location', 'add', 'x', '--network', '10.0.0.300/24', '--endpoint', 'e'], /^bulwark: --network: "10\.0\.0\.300\/24" is not an IPv4 or IPv6 network; use address\/prefix/],
      [['location', 'add', 'x', '--network', '10.20.0.0/16', '--endpoint', 'e'], /^bulwark: --network: 10\.20\.0\.0\/16 overlaps location "hq" \(10\.20\.0\.0\/24\)/],
      [['location', 'add', 'x', '--network', '10.30.0.0/24', '--endpoint', 'e:0'], /^bulwark: --endpoint: port "0"/],
      [['location', 'add', 'x', '--network', '10.30.0.0/24', '--endpoint', 'e', '--mfa', '--disconnect-threshold', '30'], /^bulwark: --disconnect-threshold: 30 s is too short/],
      [['location', 'add', 'x', '--network', '10.30.0.0/24', '--endpoint', 'e', '--disconnect-threshold', 'soon'], /--disconnect-threshold: "soon" is not a whole number/],
      [['location', 'add', 'x', '--endpoint', 'e'], /required option '--network <cidr>' not specified/],
      [['location', 'add', 'bad name', '--network', '10.30.0.0/24', '--endpoint', 'e'], /^bulwark: NAME: "bad name" is not a valid name/],
      [['host', 'add', 'h', '--ssh', 'nouser'], /^bulwark: --ssh: "nouser" has no user; use USER@ADDRESS\[:PORT\]/],
      [['host', 'add', 'h', '--ssh', 'root@h', '--identity', '/nonexistent/key'], /^bulwark: --identity: \/nonexistent\/key is not an SSH private key that the Bulwark server can read/],
      [['device', 'add', 'x', '--location', 'nowhere'], /^bulwark: --location: no location named "nowhere"/],
      [['device', 'add', 'x', '--location', 'hq', '--pubkey', 'abc'], /^bulwark: --pubkey: is not a WireGuard public key/],
      [['location', 'failover', 'hq', '--mode', 'vrrp', '--vip', '198.51.100.100/24'], /^bulwark: --mode: vrrp needs at least two gateways, and location hq has 0/],
      [['location', 'failover', 'hq', '--mode', 'vrrp'], /^bulwark: --vip: is required for --mode vrrp/],
      [['location', 'failover', 'hq', '--mode', 'vrrp', '--vip', '198.51.100.100/24', '--advert-interval', '0.015'], /^bulwark: --advert-interval: 0\.015 s is not a multiple of 0\.01 s/],
      [['location', 'failover', 'hq', '--mode', 'none', '--lb-host', 'x'], /^bulwark: --lb-host: applies to --mode lb only/],
      [['location', 'frobnicate'], /unknown command 'frobnicate'/],
    ];
    const before = (await cli('location', 'list', '--json')).stdout;
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect((await cli('location', 'list', '--json')).stdout).toBe(before);
    expect(JSON.parse((await cli('host', 'list', '--json')).stdout)).toEqual([]);
  });

  test('hosts, gateways and edges', async () => {
    const key = join(tmp.dir, 'id_test');
    writeFileSync(key, sshKeyPair().private, { mode: 0o600 });
    expect((await cli('host', 'add', 'gw-1', '--ssh', 'root@198.51.100.11', '--identity', key)).stdout).toMatch(/Added host gw-1 \(root@198\.51\.100\.11:22, key .*id_test\)/);
    expect((await cli('host', 'add', 'edge-1', '--ssh', 'admin@198.51.100.21:2222')).code).toBe(0);
    expect((await cli('gateway', 'add', '--location', 'hq', '--host', 'gw-1')).stdout).toBe('Host gw-1 is now a gateway of location hq\n');
    expect((await cli('edge', 'add', '--host', 'edge-1')).stdout).toBe('Host edge-1 is now an edge\n');
    expect((await cli('gateway', 'list', '--location', 'hq')).stdout).toMatch(/^hq\s+gw-1\s+root@198\.51\.100\.11:22$/m);
    expect(JSON.parse((await cli('edge', 'list', '--json')).stdout)).toMatchObject([{ host: 'edge-1', address: 'admin@198.51.100.21:2222' }]);
    const hosts = await cli('host', 'list');
    expect(hosts.stdout).toMatch(/^gw-1\s+root@198\.51\.100\.11:22\s+\S*id_test\s+not pinned\s+gateway:hq$/m);
    expect(JSON.parse((await cli('host', 'show', 'edge-1', '--json')).stdout)).toMatchObject({ roles: ['edge'], auth: { kind: 'agent' } });
    const busy = await cli('host', 'remove', 'gw-1');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/is still gateway:hq; remove that role first with "bulwark gateway remove --location hq --host gw-1"/);
    expect((await cli('location', 'remove', 'hq')).stderr).toMatch(/still has 1 gateway; remove them first with "bulwark gateway remove --location hq --host HOST"/);
    expect((await cli('gateway', 'remove', '--location', 'hq', '--host', 'gw-1')).code).toBe(0);
    expect((await cli('edge', 'remove', '--host', 'edge-1')).code).toBe(0);
    expect((await cli('host', 'remove', 'gw-1')).stdout).toBe('Removed host gw-1\n');
    expect((await cli('host', 'remove', 'gw-1')).code).toBe(2);
    expect((await cli('gateway', 'list')).stdout).toMatch(/^No gateways/);
    expect((await cli('location', 'add', 'temp', '--network', '10.99.0.0/24', '--endpoint', '[2001:db8::1]:51820')).stdout).toMatch(/endpoint \[2001:db8::1\]:51820/);
    expect((await cli('location', 'list')).stdout).toMatch(/^temp\s+10\.99\.0\.0\/24\s+\[2001:db8::1\]:51820/m);
    expect((await cli('location', 'remove', 'temp')).stdout).toBe('Removed location temp\n');
    expect((await cli('location', 'show', 'temp')).code).toBe(2);
  });

  test('device add prints the complete client config once; names with shell characters stay data', async () => {
    const r = await cli('device', 'add', '--location', 'hq', `Anna's "laptop" $(id)`);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Save it now: the private key is shown once/);
    expect(r.stdout).toMatch(/^\[Interface\]\nPrivateKey = \S{43}=\nAddress = 10\.20\.0\.2\/32\n\n\[Peer\]\nPublicKey = \S{43}=\nAllowedIPs = 10\.20\.0\.0\/24\nEndpoint = vpn\.example\.com:51821\nPersistentKeepalive = 25\n$/m);
    const own = await cli('device', 'add', '--location', 'hq', 'phone', '--pubkey', 'qN7fYbAbVfZVOkOYdGDd/m5GgWAC8rB6n4u8dNsz3G4=', '--json');
    expect(JSON.parse(own.stdout)).toMatchObject({ containsPrivateKey: false, device: { address: '10.20.0.3/32', publicKey: 'qN7fYbAbVfZVOkOYdGDd/m5GgWAC8rB6n4u8dNsz3G4=' } });
    const dup = await cli('device', 'add', '--location', 'hq', 'tablet', '--pubkey', 'qN7fYbAbVfZVOkOYdGDd/m5GgWAC8rB6n4u8dNsz3G4=');
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/--pubkey: this key is already used by device "phone"/);
    expect((await cli('device', 'add', '--location', 'hq', 'spoof  10.20.0.99/32')).code).toBe(0);
    const list = await cli('device', 'list', '--location', 'hq');
    expect(list.stdout).toMatch(/^Anna's "laptop" \$\(id\)\s+10\.20\.0\.2\/32/m);
    // A name holding the column separator is quoted, so it cannot pass for another column.
    expect(list.stdout).toMatch(/^"spoof  10\.20\.0\.99\/32"\s+10\.20\.0\.4\/32/m);
    expect((await cli('device', 'remove', '--location', 'hq', 'spoof  10.20.0.99/32')).code).toBe(0);
    expect(JSON.parse((await cli('device', 'list', '--location', 'hq', '--json')).stdout)).toHaveLength(2);
    expect((await cli('device', 'remove', '--location', 'hq', 'phone')).stdout).toBe('Removed device phone from location hq\n');
    expect((await cli('device', 'remove', '--location', 'hq', 'phone')).code).toBe(2);
  });

  test('events shows the audit trail with the CLI user as actor', async () => {
    const r = await cli('events', '--limit', '3');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stdout).toMatch(/device\.removed\s+device:hq\/phone\s+by cli:/);
    const json = JSON.parse((await cli('events', '--json', '--limit', '1')).stdout) as { kind: string }[];
    expect(json.map((e) => e.kind)).toEqual(['device.removed']);
    const byKind = await cli('events', '--kind', 'location.created');
    expect(byKind.code).toBe(0);
    expect(byKind.stdout.trim().split('\n').every((l) => /^\S+\s+location\.created\s/.test(l))).toBe(true);
    const bad = await cli('events', '--kind', 'location.exploded');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind: "location\.exploded" is not an event kind; use one of location\.created, /);
  });

  test('MFA sessions: start, list, end; a device of an MFA location is told it needs one', async () => {
    const add = await cli('device', 'add', '--location', 'secure', 'tablet');
    expect(add.code).toBe(0);
    expect(add.stderr).toMatch(/location secure uses MFA: the device connects once its user has passed MFA \(or after "bulwark session start --location secure tablet"\)/);
    const start = await cli('session', 'start', '--location', 'secure', 'tablet');
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/^Started session \d+ for tablet in secure/);
    const list = await cli('session', 'list', '--location', 'secure');
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+DEVICE\s+STARTED\s+BY\s+ENDED\s+WHY\s+ENDED BY$/);
    expect(list.stdout).toMatch(/^\d+\s+tablet\s+\S+\s+cli:\S+\s+active\s+-\s+-$/m);
    expect((await cli('session', 'end', '--location', 'secure', 'tablet')).stdout).toMatch(/^Ended session \d+ of tablet in secure$/m);
    expect((await cli('session', 'list', '--location', 'secure')).stdout).toBe('No active sessions in secure.\n');
    const all = JSON.parse((await cli('session', 'list', '--location', 'secure', '--all', '--json')).stdout) as { endReason: string }[];
    expect(all.map((x) => x.endReason)).toEqual(['ended']);
    const again = await cli('session', 'end', '--location', 'secure', 'tablet');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^bulwark: DEVICE: device "tablet" has no active session; see "bulwark session list --location secure"/);
    const open = await cli('session', 'start', '--location', 'hq', 'whatever');
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/^bulwark: --location: location hq does not use MFA/);
  });

  test('--server with --token-file reaches the same server; a wrong token exits 1', async () => {
    const r = await runCli(['--server', server.url, '--token-file', join(dataDir, 'token'), 'location', 'list', '--json']);
    expect(r.code).toBe(0);
    const badToken = join(tmp.dir, 'bad-token');
    writeFileSync(badToken, 'nope');
    const bad = await runCli(['--server', server.url, '--token-file', badToken, 'location', 'list']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/wrong API token/);
    const noFile = await runCli(['--server', server.url, 'location', 'list'], { BULWARK_TOKEN_FILE: '' });
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/--token-file: is required with --server/);
  });

  test('with no server running, the CLI says how to start one and exits 1', async () => {
    using other = tempDir();
    const r = await runCli(['--data-dir', other.dir, 'location', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no "bulwark serve" is running for data dir .*; start one with "bulwark serve --data-dir/);
  });

  test('a second server on the same data dir is refused while the first runs', async () => {
    await expect(startChild(dataDir)).rejects.toThrow(/another "bulwark serve" or Bulwark app \(pid \d+\) is using/);
  });

  test('demo starts Core with a demo location and prints a login link that works', async () => {
    using demoDir = tempDir();
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/server.js');
    const demo = spawn(process.execPath, [CLI, 'demo', '--data-dir', join(demoDir.dir, 'data'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' } });
    let out = '';
    demo.stdout.on('data', (d) => (out += String(d)));
    try {
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/Open the UI:\s+(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/);
      const [, url, token] = /Open the UI:\s+(http:\/\/127\.0\.0\.1:\d+)\/#token=(\S+)/.exec(out)!;
      expect((await fetch(`${url}/`)).status).toBe(200);
      const r = await runCli(['--data-dir', join(demoDir.dir, 'data'), 'location', 'list', '--json']);
      expect(JSON.parse(r.stdout)).toMatchObject([{ name: 'hq', deviceCount: 1 }]);
      const api = await fetch(`${url}/api/v1/system.info`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
    } finally {
      demo.kill('SIGTERM');
      await new Promise((r) => demo.once('exit', r));
    }
  });

  test('the server keeps its files private', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'bulwark.db')).mode & 0o077).toBe(0);
  });
});

describe('bulwark events --follow', () => {
  test('streams a change made by another client as it commits', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/server.js');
    expect((await cli('host', 'add', 'before-follow', '--ssh', 'root@198.51.100.29')).code).toBe(0);
    const follow = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'events', '--follow', '--limit', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follow.stdout.on('data', (d) => (out += String(d)));
    try {
      await expect.poll(() => out, { timeout: 10_000 }).toMatch(/host:before-follow/);
      expect((await cli('host', 'add', 'followed', '--ssh', 'root@198.51.100.30')).code).toBe(0);
      await expect.poll(() => out, { timeout: 5_000 }).toMatch(/host\.created\s+host:followed\s+by cli:/);
    } finally {
      follow.kill('SIGTERM');
    }
  });

  test('device config: a new key (the old stops) or the config for its own key; location set names the devices an endpoint change strands, and asks before MFA cuts them off', async () => {
    expect((await cli('device', 'add', '--location', 'hq', 'rekey-me')).code).toBe(0);
    type Dev = { name: string; publicKey: string; address: string };
    const find = async () => (JSON.parse((await cli('device', 'list', '--location', 'hq', '--json')).stdout) as Dev[]).find((d) => d.name === 'rekey-me')!;
    const before = await find();
    const again = await cli('device', 'config', '--location', 'hq', 'rekey-me');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/^New key pair for device rekey-me of hq: its old config no longer connects/);
    expect(again.stdout).toMatch(new RegExp(`^\\[Interface\\]\\nPrivateKey = \\S{43}=\\nAddress = ${before.address.replace(/\./g, '\\.')}\\n`, 'm'));
    const after = await find();
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(after.address).toBe(before.address);
    expect(JSON.parse((await cli('events', '--json', '--limit', '1')).stdout)).toMatchObject([{ kind: 'device.rekeyed', details: { name: 'rekey-me', publicKey: after.publicKey, previousKey: before.publicKey } }]);
    const own = await cli('device', 'config', '--location', 'hq', 'rekey-me', '--keep-key');
    expect(own.stdout).not.toMatch(/PrivateKey = \S{43}=/);
    expect((await find()).publicKey).toBe(after.publicKey);
    expect((await cli('device', 'config', '--location', 'hq', 'nobody')).stderr).toMatch(/location hq has no device named "nobody"/);

    const count = (JSON.parse((await cli('location', 'show', 'hq', '--json')).stdout) as { deviceCount: number }).deviceCount;
    const moved = await cli('location', 'set', 'hq', '--endpoint', 'vpn2.example.com:51821');
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toMatch(new RegExp(`^The client configs of its ${count} devices name the old endpoint vpn\\.example\\.com:51821: each needs a new config \\(.*rekey-me.*\\)`, 'm'));
    expect(moved.stderr).toContain('bulwark device config --location hq NAME --keep-key');
    // Only the clients change: nothing is said about the gateways.
    expect(moved.stdout).toBe('Updated location hq: endpoint vpn2.example.com:51821, MFA off.\n');

    const mfa = await cli('location', 'set', 'hq', '--mfa');
    expect(mfa.code).toBe(2);
    expect(mfa.stderr).toMatch(new RegExp(`--mfa: turning MFA on cuts off the ${count} devices of hq until each starts an MFA session .* run it again with --yes`));
    expect(JSON.parse((await cli('location', 'show', 'hq', '--json')).stdout)).toMatchObject({ mfa: false });
    const yes = await cli('location', 'set', 'hq', '--mfa', '--yes');
    expect(yes.code, yes.stderr).toBe(0);
    // (hq has no gateway left by now: nothing is said about gateways.)
    expect(yes.stdout).toMatch(/^Updated location hq: endpoint vpn2\.example\.com:51821, MFA on \(\d+ s\)\.\n$/);
    expect((await cli('location', 'set', 'hq', '--no-mfa')).code).toBe(0);
  });
  test('device disable / enable: the state in list (text and JSON) and status, the event with the CLI user, a config that says so, bad names exit 2', async () => {
    expect((await cli('location', 'add', 'cutoff', '--network', '10.23.0.0/24', '--endpoint', 'vpn.example.com')).code).toBe(0);
    expect((await cli('device', 'add', '--location', 'cutoff', 'lost laptop')).code).toBe(0);
    expect((await cli('device', 'add', '--location', 'cutoff', 'phone')).code).toBe(0);
    const off = await cli('device', 'disable', '--location', 'cutoff', 'lost laptop');
    expect(off, off.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(off.stdout).toBe(`Device lost laptop of location cutoff is disabled: it is no peer on the location's gateways and cannot connect. It keeps its key and address; "bulwark device enable --location cutoff 'lost laptop'" lets it back.\n`);
    const list = await cli('device', 'list', '--location', 'cutoff');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+ADDRESS\s+STATE\s+PUBLIC KEY\s+CREATED$/);
    expect(list.stdout).toMatch(/^lost laptop\s+10\.23\.0\.2\/32\s+DISABLED\s+\S{44}\s/m);
    expect(list.stdout).toMatch(/^phone\s+10\.23\.0\.3\/32\s+enabled\s/m);
    type Dev = { name: string; enabled: boolean };
    expect((JSON.parse((await cli('device', 'list', '--location', 'cutoff', '--json')).stdout) as Dev[]).map((d) => [d.name, d.enabled])).toEqual([['lost laptop', false], ['phone', true]]);
    expect((await cli('status', '--location', 'cutoff')).stdout).toMatch(/^lost laptop\s+10\.23\.0\.2\/32\s+DISABLED\s+never/m);
    const [event] = JSON.parse((await cli('events', '--json', '--limit', '1')).stdout) as { kind: string; actor: string; subject: string }[];
    expect(event).toMatchObject({ kind: 'device.disabled', subject: 'device:cutoff/lost laptop', actor: expect.stringMatching(/^cli:/) });
    // A new config for a disabled device: given, and said to wait for enable.
    const config = await cli('device', 'config', '--location', 'cutoff', 'lost laptop');
    expect(config.code).toBe(0);
    expect(config.stderr).toContain(`Device lost laptop is disabled: this config connects only once it is enabled ("bulwark device enable --location cutoff 'lost laptop'").`);
    const on = await cli('device', 'enable', '--location', 'cutoff', 'lost laptop');
    expect(on.stdout).toBe("Device lost laptop of location cutoff is enabled: its peer is back on the location's gateways.\n");
    expect((await cli('device', 'list', '--location', 'cutoff')).stdout).toMatch(/^lost laptop\s+10\.23\.0\.2\/32\s+enabled\s/m);
    const ghost = await cli('device', 'disable', '--location', 'cutoff', 'ghost');
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toMatch(/location cutoff has no device named "ghost"; see "bulwark device list --location cutoff"/);
    expect((await cli('device', 'enable', 'phone')).code).toBe(2);
  });
});
