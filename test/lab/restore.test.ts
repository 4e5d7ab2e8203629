// Core's failover without Kubernetes, on real hosts: a gateway provisioned by one Core carries a
// client's pings; Core is backed up, stopped, and restored into a new data dir served by another
// process. The gateway's agent links to the restored Core (the same CA), its peers stay put the
// whole time (the pings never stop), and the restored Core then manages it: a device it adds
// becomes a peer.
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { until } from '../helpers/agent.js';
import { runCli, startChild, startInProcess } from '../helpers/server.js';
import { largestGap } from './floating-ip.js';
import { gatewayHealth, provisionGateway } from './gateway-setup.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const POOL = '10.78.0.0/24';

describe.skipIf(missing !== null)('backup and restore', () => {
  test('the agents link to the restored Core and the gateway keeps its peers throughout', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 500, downAfterMs: 3000 } });
    const work = mkdtempSync(join(tmpdir(), 'bulwark-restore-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    const [gw] = await Promise.all([lab.boot('gw'), lab.boot('client')]);
    expect((await runCli(['--data-dir', srv.dataDir, 'location', 'add', 'office', '--network', POOL, '--endpoint', `${gw!.address}:51820`])).code).toBe(0);
    await provisionGateway(lab, srv, gw!, 'office');
    const laptop = await runCli(['--data-dir', srv.dataDir, 'device', 'add', '--location', 'office', 'laptop']);
    expect(laptop.code, laptop.stderr).toBe(0);
    expect(lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', laptop.stdout]).code).toBe(0);
    const tunnelGateway = POOL.replace(/0\/24$/, '1');
    await until('a ping through the tunnel', () => lab.exec('client', ['ping', '-c', '1', '-W', '1', tunnelGateway]).code === 0, 15_000);
    const peers = () => gatewayHealth(lab, 'gw').wireguard.locations.find((l) => l.name === 'office')!.peers;
    expect(peers()).toBe(1);

    // Pings every 0.2 s for the whole backup, stop, restore and relink.
    lab.exec('client', ['sh', '-c', `ping -D -i 0.2 -w 40 ${tunnelGateway} > /tmp/p.out 2>&1 &`]);
    const pass = join(work, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n');
    const file = join(work, 'core.bulwark-backup');
    const backup = await runCli(['--data-dir', srv.dataDir, 'backup', '-o', file, '--passphrase-file', pass]);
    expect(backup.code, backup.stderr).toBe(0);
    await srv.running.stop();
    const stoppedAt = Date.now();

    const restoredDir = join(work, 'restored');
    const restore = await runCli(['restore', file, '--data-dir', restoredDir, '--passphrase-file', pass]);
    expect(restore.code, restore.stderr).toBe(0);
    const restored = await startChild(restoredDir);
    try {
      const api = new HttpClient({ url: restored.url, token: readFileSync(join(restoredDir, 'token'), 'utf8').trim(), actor: 'test' });
      await until('the gateway to link to the restored Core', async () => (await api.call('links.list', {})).find((l) => l.agent === 'gateway:gw' && l.state === 'up' && l.healthy), 60_000);
      console.log(`the gateway linked to the restored Core ${Date.now() - stoppedAt} ms after the first one stopped`);
      expect(peers()).toBe(1);
      // The pings went on the whole time.
      await until('the ping to finish', () => lab.exec('client', ['sh', '-c', 'grep -c "packet loss" /tmp/p.out || true']).stdout.trim() === '1', 60_000);
      const out = lab.exec('client', ['cat', '/tmp/p.out']).stdout;
      const { gapMs, replies } = largestGap(out);
      console.log(`pings through the backup, the stop, the restore and the relink: ${replies} replies, largest gap ${gapMs.toFixed(0)} ms`);
      expect(out).toMatch(/ 0% packet loss/);
      // The restored Core manages the gateway: a device it adds is a peer there.
      await api.call('devices.add', { location: 'office', name: 'phone' });
      await until('the new device on the gateway', () => peers() === 2, 15_000);
    } finally {
      await restored.stop();
    }
  }, 300_000);
});
