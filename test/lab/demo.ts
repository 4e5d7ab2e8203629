// `npm run demo`: Core and its UI with a demo location whose gateways are lab hosts (real
// systemd + sshd containers) ready to be checked and provisioned. Needs root for the lab;
// without it, the plain `bulwark demo` (no hosts) runs instead. Ctrl-C removes everything.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_LISTEN } from '../../src-main/platform/listen.js';
import { createLog } from '../../src-main/platform/log.js';
import { serve } from '../../src-main/serve.js';
import { Lab, labMissing } from './scenario.js';

const root = process.cwd();
const missing = labMissing();
if (missing) {
  console.log(`The lab cannot run here (${missing}), so the demo has no hosts to provision.\n`);
  const r = spawnSync(process.execPath, [resolve(root, 'dist/bulwark.mjs'), 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const dataDir = resolve(process.env.BULWARK_DATA_DIR ?? '.demo-data');
process.umask(0o077);
console.log('Starting the lab (the first run builds its Debian image: about 2 minutes)…');
const lab = await Lab.create((line) => console.log(`  ${line}`));
let running: Awaited<ReturnType<typeof serve>> | null = null;
const stop = async () => {
  await running?.stop();
  await lab.down();
};
try {
  const names = ['gw1', 'gw2', 'edge1', 'edge2', 'lb'];
  const hosts = await Promise.all(names.map((n) => lab.boot(n)));
  running = await serve({
    dataDir,
    listen: process.env.BULWARK_LISTEN ?? DEFAULT_LISTEN,
    uiDir: resolve(root, 'dist/renderer'),
    agentsDir: resolve(root, 'dist/agents'),
    log: createLog(),
  });
  const core = running.core;
  const ctx = { actor: 'demo' };
  if (!(await core.invoke('locations.list', {})).some((l) => l.name === 'hq')) {
    await core.invoke('locations.create', { name: 'hq', network: '10.66.0.0/24', endpoint: 'vpn.example.com:51820' }, ctx);
  }
  // Lab hosts are new at every start: forget the previous run's hosts and their pinned keys.
  const previous = await core.invoke('edges.public', {});
  if (previous?.balancer) await core.invoke('edges.setPublic', { publicName: previous.publicName, balancer: null }, ctx);
  for (const g of await core.invoke('gateways.list', {})) await core.invoke('gateways.remove', { location: g.location, host: g.host }, ctx);
  for (const e of await core.invoke('edges.list', {})) await core.invoke('edges.remove', { host: e.host }, ctx);
  for (const h of await core.invoke('hosts.list', {})) await core.invoke('hosts.remove', { name: h.name }, ctx);
  for (const [i, name] of names.entries()) {
    await core.invoke('hosts.create', { name, ssh: `root@${hosts[i]!.address}`, identityFile: lab.keyFile }, ctx);
  }
  await core.invoke('gateways.add', { location: 'hq', host: 'gw1' }, ctx);
  await core.invoke('gateways.add', { location: 'hq', host: 'gw2' }, ctx);
  await core.invoke('edges.add', { host: 'edge1' }, ctx);
  await core.invoke('edges.add', { host: 'edge2' }, ctx);
  // The edges' balancer on lb; the lab has no DNS, so its address is the public name.
  const lb = hosts[names.indexOf('lb')]!;
  await core.invoke('edges.setPublic', { publicName: lb.address, balancer: 'lb' }, ctx);
  const token = readFileSync(running.paths.token, 'utf8').trim();
  console.log(
    [
      '',
      'Bulwark demo is running, with five lab hosts (Debian 12, systemd, sshd):',
      ...names.map((n, i) => `  ${n.padEnd(6)} root@${hosts[i]!.address}`),
      '',
      `  Open the UI:   ${running.url}/#token=${token}`,
      `  Use the CLI:   export BULWARK_DATA_DIR=${dataDir}; node dist/bulwark.mjs host list`,
      '',
      'Try: Hosts → Check each host and accept its key; then Provisioning → Plan → Apply.',
      'Or on the CLI: bulwark host check gw1 (then --accept SHA256:…), bulwark provision plan, bulwark provision apply.',
      `Once applied: bulwark invite create --location hq anna, and open the link (https://${lb.address}/enroll#…; the lab's certificate is from Bulwark's CA, so the browser warns).`,
      'Press Ctrl-C to stop; the lab hosts are removed, the data dir stays.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
} finally {
  await stop();
}
