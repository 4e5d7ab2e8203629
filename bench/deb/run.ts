// bench/deb: the Debian package of headless Core: its build time and size (xz, as released),
// and on a lab host with no Node and no network: the install with apt until the service
// answers, and an upgrade to a second build until it answers again. Run as root:
// npm run bench:deb
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, labMissing } from '../../test/lab/scenario.js';

const missing = labMissing();
if (missing) {
  console.error(`bench/deb cannot run: ${missing}`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-deb-'));
const build = (version: string) => {
  const t0 = performance.now();
  const out = execFileSync(process.execPath, ['resources/package-deb.mjs'], { env: { ...process.env, BULWARK_DEB_OUT: work, BULWARK_DEB_VERSION: version }, encoding: 'utf8' });
  return { path: out.split(':')[0]!.trim(), ms: performance.now() - t0 };
};
const lab = await Lab.create();
try {
  const first = build('0.1.0');
  const second = build('0.1.1');
  await lab.boot('core');
  lab.cutLink('core');
  const sh = (script: string) => lab.exec('core', ['sh', '-c', script], 300_000);
  const timed = (deb: string, name: string) => {
    lab.putFile('core', deb, `/root/${name}`);
    const t0 = performance.now();
    const r = sh(`apt-get install -y -q /root/${name} >/dev/null 2>&1 && for i in $(seq 600); do bulwark status >/dev/null 2>&1 && exit 0; sleep 0.05; done; exit 1`);
    if (r.code !== 0) throw new Error(`install of ${name} failed: ${r.stdout}${r.stderr}`);
    return performance.now() - t0;
  };
  const install = timed(first.path, 'first.deb');
  sh('bulwark location add hq --network 10.81.0.0/24 --endpoint vpn.example.com >/dev/null');
  const upgrade = timed(second.path, 'second.deb');
  const installed = Number(sh("dpkg-query -W -f '${Installed-Size}' bulwark").stdout);
  console.log('bench/deb: headless Core as a Debian package (amd64), on a lab host with no Node and no network');
  console.log(`  build (xz): ${(first.ms / 1000).toFixed(1)} s; package ${(statSync(first.path).size / 1024 / 1024).toFixed(1)} MiB, ${(installed / 1024).toFixed(0)} MiB installed`);
  console.log(`  install with apt until "bulwark status" answers: ${(install / 1000).toFixed(1)} s`);
  console.log(`  upgrade to a second build until it answers again: ${(upgrade / 1000).toFixed(1)} s`);
} finally {
  await lab.down();
  rmSync(work, { recursive: true, force: true });
}
