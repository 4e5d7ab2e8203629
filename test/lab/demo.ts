// `npm run demo`: Core and its UI with a demo location whose gateways are lab hosts (real
// systemd + sshd containers) ready to be checked and provisioned. Needs root for the lab (as
// root `npm run demo`, otherwise `sudo npm run demo`); without it, the plain `bulwark demo`
// (no hosts) runs instead. Runs again on the same data dir; Ctrl-C removes the lab, keeps the data.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addressAt, cidrContains, formatCidr, parseInterfaceAddress, type Cidr } from '../../src-main/net/ip.js';
import { DEFAULT_LISTEN } from '../../src-main/platform/listen.js';
import { createLog } from '../../src-main/platform/log.js';
import { serve } from '../../src-main/serve.js';
import { Lab, labMissing } from './scenario.js';

const root = process.cwd();

/** Whether an address/prefix lies on a LAN. */
function onLan(addressWithPrefix: string, lan: Cidr): boolean {
  const a = parseInterfaceAddress(addressWithPrefix);
  return a.ok && cidrContains(lan, a.value.family, a.value.address);
}
const missing = labMissing();
if (missing) {
  console.log(`The lab cannot run here (${missing}), so the demo has no hosts to provision.\n`);
  const r = spawnSync(process.execPath, [resolve(root, 'dist/bulwark.mjs'), 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const dataDir = resolve(process.env.BULWARK_DATA_DIR ?? '.demo-data');
process.umask(0o077);
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
// Core's log goes to a file: on the terminal it would bury the banner.
const logFile = join(dataDir, 'core.log');
const logStream = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
// Ctrl-C at any time stops the demo; during start-up, once the hosts being booted are up (so
// that every one of them is removed).
let ready = false;
const signalled = new Promise<string>((done) => {
  const on = (name: string) => () => {
    if (!ready) console.log(`\n${name}: finishing the start-up under way, then removing everything…`);
    done(name);
  };
  process.once('SIGINT', on('Ctrl-C'));
  process.once('SIGTERM', on('SIGTERM'));
});
console.log('Starting the lab (the first run builds its Debian image: about 2 minutes)…');
const lab = await Lab.create((line) => console.log(`  ${line}`));
let running: Awaited<ReturnType<typeof serve>> | null = null;
let stopping = false;
const stop = async (why: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping Core…`);
  await running?.stop();
  console.log(`Removing the lab hosts (${[...lab.hosts.keys()].join(', ') || 'none'})…`);
  await lab.down();
  console.log(`Lab removed. The data dir stays: ${dataDir}`);
};
try {
  const names = ['gw1', 'gw2', 'edge1', 'edge2', 'lb'];
  const hosts = await Promise.all(names.map((n) => lab.boot(n)));
  running = await serve({
    dataDir,
    listen: process.env.BULWARK_LISTEN ?? DEFAULT_LISTEN,
    uiDir: resolve(root, 'dist/renderer'),
    agentsDir: resolve(root, 'dist/agents'),
    log: createLog({ destination: logStream }),
  });
  const core = running.core;
  const ctx = { actor: 'demo' };
  if (!(await core.invoke('locations.list', {})).some((l) => l.name === 'hq')) {
    await core.invoke('locations.create', { name: 'hq', network: '10.66.0.0/24', endpoint: 'vpn.example.com:51820' }, ctx);
  }
  // Lab hosts are new at every start (new machines, new keys, a new LAN): forget the previous
  // run's hosts, which are gone for good, and what pointed at them.
  const notes: string[] = [];
  for (const l of await core.invoke('locations.list', {})) {
    const f = l.failover;
    const lbGone = f.mode === 'lb' && f.lbHost !== null && names.includes(f.lbHost);
    const vipGone = f.mode === 'vrrp' && f.vip !== null && !onLan(f.vip, lab.prefix);
    if (lbGone || vipGone) {
      await core.invoke('locations.setFailover', { name: l.name, mode: 'none' }, ctx);
      notes.push(`${l.name}'s failover (${f.mode}${vipGone ? `, floating IP ${f.vip}` : ''}) pointed at the last run's lab: it is off now; set it again below.`);
    }
  }
  const previous = await core.invoke('edges.public', {});
  if (previous?.balancer) await core.invoke('edges.setPublic', { publicName: previous.publicName, balancer: null }, ctx);
  for (const g of await core.invoke('gateways.list', {})) await core.invoke('gateways.remove', { location: g.location, host: g.host }, ctx);
  for (const e of await core.invoke('edges.list', {})) await core.invoke('edges.remove', { host: e.host }, ctx);
  for (const h of await core.invoke('hosts.list', {})) await core.invoke('hosts.remove', { name: h.name, force: true }, ctx);
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
  // A floating IP must be an unused address on the gateways' LAN: this run's lab /27.
  const vip = `${addressAt(lab.prefix, 25n)}/${lab.prefix.prefix}`;
  const cli = 'node dist/bulwark.mjs';
  console.log(
    [
      '',
      `Bulwark demo is running, with five lab hosts (Debian 12, systemd, sshd) on ${formatCidr(lab.prefix)}:`,
      ...names.map((n, i) => `  ${n.padEnd(6)} root@${hosts[i]!.address}`),
      ...notes.map((n) => `\n  Note: ${n}`),
      '',
      `  Open the UI:   ${running.url}/#token=${token}`,
      `  Use the CLI:   export BULWARK_DATA_DIR=${dataDir}; ${cli} host list`,
      `  Core's log:    ${logFile}`,
      '',
      'Try: Hosts → Check each host and accept its key; then Provisioning → Plan → Apply.',
      `Or on the CLI: ${cli} host check gw1 (then --accept SHA256:…), ${cli} provision plan, ${cli} provision apply.`,
      `Once applied: ${cli} invite create --location hq anna, and open the link (https://${lb.address}/enroll#…; the lab's certificate is from Bulwark's CA, so the browser warns).`,
      `A floating IP for hq that fits this lab's LAN (after the gateways' host checks):`,
      `  ${cli} location set hq --endpoint ${vip.split('/')[0]}:51820`,
      `  ${cli} location failover hq --mode vrrp --vip ${vip}`,
      'Press Ctrl-C to stop; the lab hosts are removed, the data dir stays.',
      '',
    ].join('\n'),
  );
  ready = true;
  await stop(await signalled);
} catch (err) {
  console.error(`The demo failed: ${(err as Error).message}`);
  await stop('After the failure');
  process.exitCode = 1;
} finally {
  await stop('Exiting');
  logStream.end();
}
