// bench/provision: provision 4 lab hosts from nothing, then re-apply with no change; report
// both times beside the goals (< 30 s and < 3 s), each step's median time across the hosts,
// and the lab's own cost (image build, host boot).
// Run as root: npm run bench:provision   (BENCH_IMAGE=1 also times a fresh image build)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ProvisionStepDetails, type CoreEvent } from '../../src-main/contract/index.js';
import { serve } from '../../src-main/serve.js';
import { ensureLabImage } from '../../test/lab/image.js';
import { Lab, labMissing } from '../../test/lab/scenario.js';

const HOSTS = ['bga', 'bgb', 'bgc', 'bgd'];
// Run through npm from the package root (the bundle is fed to node on stdin).
const root = `${process.cwd()}/`;
const missing = labMissing();
if (missing) {
  console.error(`bench/provision cannot run: ${missing}`);
  process.exit(1);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

if (process.env.BENCH_IMAGE === '1') {
  const cache = mkdtempSync(join(tmpdir(), 'bulwark-bench-image-'));
  process.env.BULWARK_LAB_CACHE = cache;
  const img = ensureLabImage((l) => console.log(`  ${l}`));
  console.log(`lab image build (fresh, this run): ${img.seconds.toFixed(1)} s`);
  rmSync(cache, { recursive: true, force: true });
  delete process.env.BULWARK_LAB_CACHE;
}
const image = ensureLabImage((l) => console.log(`  ${l}`));
console.log(`lab image: ${image.built ? 'built now' : 'cached'}; its build took ${image.seconds ? `${image.seconds.toFixed(1)} s` : 'an unrecorded time'}`);

const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-prov-'));
const lab = await Lab.create();
const running = await serve({ dataDir: join(base, 'data'), listen: '127.0.0.1:0', agentsDir: join(root, 'dist/agents'), log: pino({ level: 'silent' }) });
try {
  const core = running.core;
  let t = Date.now();
  const hosts = await Promise.all(HOSTS.map((h) => lab.boot(h)));
  console.log(`boot ${HOSTS.length} hosts in parallel (to sshd answering): ${seconds(Date.now() - t)}`);

  await core.invoke('locations.create', { name: 'east', network: '10.40.0.0/24', endpoint: 'east.example.com' });
  await core.invoke('locations.create', { name: 'west', network: '10.41.0.0/24', endpoint: 'west.example.com:51821' });
  for (const [i, h] of hosts.entries()) {
    const name = HOSTS[i]!;
    await core.invoke('hosts.create', { name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
    const { fingerprint } = await core.invoke('hosts.check', { name });
    await core.invoke('hosts.check', { name, accept: fingerprint });
    await core.invoke('gateways.add', { location: i < 2 ? 'east' : 'west', host: name });
  }
  await core.invoke('edges.add', { host: 'bga' });

  const steps = new Map<string, number[]>();
  const startedAt = new Map<string, number>();
  const stop = core.onDidEvent((e: CoreEvent) => {
    const d = ProvisionStepDetails.safeParse(e.details);
    if (e.kind !== 'provision.step' || !d.success) return;
    const key = `${d.data.host}/${d.data.step}`;
    if (d.data.status === 'started' && !startedAt.has(key)) startedAt.set(key, Date.now());
    if (d.data.status === 'ok') steps.set(d.data.step, [...(steps.get(d.data.step) ?? []), Date.now() - (startedAt.get(key) ?? Date.now())]);
  });

  t = Date.now();
  const first = await core.invoke('provision.apply', {});
  const fromNothing = Date.now() - t;
  if (!first.ok) throw new Error(`apply failed: ${JSON.stringify(first.hosts.filter((h) => h.failure), null, 2)}`);
  stop();
  const bytes = Number(readFileSync(join(root, 'dist/agents/runtime/node')).length);

  t = Date.now();
  const again = await core.invoke('provision.apply', {});
  const noop = Date.now() - t;
  if (!again.hosts.every((h) => h.outcome === 'up_to_date')) throw new Error('the re-apply changed something');

  t = Date.now();
  await core.invoke('provision.plan', {});
  const plan = Date.now() - t;

  console.log('');
  console.log(`provision ${HOSTS.length} hosts from nothing:  ${seconds(fromNothing)}   goal < 30 s   ${fromNothing < 30_000 ? 'met' : 'MISSED'}`);
  console.log(`re-apply with no change:          ${seconds(noop)}   goal < 3 s    ${noop < 3000 ? 'met' : 'MISSED'}`);
  console.log(`plan with no change:              ${seconds(plan)}`);
  console.log(`(each host received the ${(bytes / 1024 / 1024).toFixed(1)} MiB Node runtime, its agents, configs and units)`);
  console.log('');
  console.log('median time per step on one host, first apply:');
  for (const [step, ms] of steps) console.log(`  ${step.padEnd(10)} ${seconds(median(ms))}`);
} finally {
  await running.stop();
  await lab.down();
  rmSync(base, { recursive: true, force: true });
}
