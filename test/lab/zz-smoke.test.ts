import { test, expect } from 'vitest';
import { startInProcess } from '../helpers/server.js';
import { Lab } from '../lab/scenario.js';

test('smoke', async () => {
  await using lab = await Lab.create();
  await using srv = await startInProcess();
  const c = srv.client;
  const t0 = Date.now();
  const [a, b] = await Promise.all([lab.boot('gwa'), lab.boot('gwb')]);
  console.log('boot', Date.now() - t0);
  await c.call('locations.create', { name: 'office', network: '10.10.0.0/24', endpoint: 'vpn.example.com:51820' });
  for (const [n, h] of [['gwa', a], ['gwb', b]] as const) {
    await c.call('hosts.create', { name: n, ssh: `root@${h.address}`, identityFile: lab.keyFile });
    const chk = await c.call('hosts.check', { name: n });
    await c.call('hosts.check', { name: n, accept: chk.fingerprint });
    await c.call('gateways.add', { location: 'office', host: n });
  }
  await c.call('edges.add', { host: 'gwb' });
  const p = await c.call('provision.plan', {});
  console.log(JSON.stringify(p, null, 1).slice(0, 3000));
  const t1 = Date.now();
  const r = await c.call('provision.apply', {});
  console.log('apply', Date.now() - t1, JSON.stringify(r, null, 1));
  const t2 = Date.now();
  const r2 = await c.call('provision.apply', {});
  console.log('noop', Date.now() - t2, JSON.stringify(r2.hosts.map((h) => h.outcome)));
  await c.call('locations.update', { name: 'office', endpoint: 'vpn2.example.com' });
  const p2 = await c.call('provision.plan', {});
  console.log(JSON.stringify(p2, null, 1).slice(0, 3000));
  console.log(lab.ssh('gwb', 'systemctl status bulwark-edge bulwark-gateway --no-pager; ls -la /opt/bulwark/* /etc/bulwark /var/lib/bulwark').stdout);
  const u = await c.call('hosts.uninstall', { name: 'gwb' });
  console.log(JSON.stringify(u));
  console.log(lab.ssh('gwb', 'ls -la /opt/bulwark /etc/bulwark /var/lib/bulwark /etc/systemd/system/multi-user.target.wants').stdout);
  expect(r.ok).toBe(true);
}, 300_000);
