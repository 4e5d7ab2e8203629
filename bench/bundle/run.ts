// bench/bundle: offline bundles for one gateway host, on a real bare lab host (no keepalived, no
// WireGuard tools). In one run: export time and archive size without packages, with packages
// (first with an empty package cache, then warm), and as an upgrade bundle after a config
// change; `bundle verify` time; and the install time on the host with packages, then of the
// upgrade. Goals (issue 14): export under 10 s, install under 30 s with packages, the archive
// under 60 MiB without packages.
// Run as root: npm run bench:bundle
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBench } from '../lab-core.js';

const { lab, core, cli, stop } = await startBench('bundle');
const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-bundle-'));
const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const timed = async <T>(fn: () => Promise<T> | T): Promise<{ ms: number; v: T }> => {
  const t0 = performance.now();
  const v = await fn();
  return { ms: Math.round(performance.now() - t0), v };
};
try {
  const gw = await lab.boot('gw', { bare: true });
  await cli('location', 'add', 'office', '--network', '10.83.0.0/24', '--endpoint', `${gw.address}:51820`);
  await core.invoke('hosts.create', { name: 'gw', ssh: `root@${gw.address}`, identityFile: lab.keyFile });
  await core.invoke('gateways.add', { location: 'office', host: 'gw' });
  const exp = async (name: string, ...extra: string[]) => {
    const file = join(work, `${name}.tar.gz`);
    const out = await cli('bundle', 'export', '--host', 'gw', '--os', 'debian-12', '--arch', 'x86_64', '-o', file, ...extra);
    return { file, fingerprint: /--expect-key (SHA256:\S+)/.exec(out)![1]!, directory: /\.\/(bulwark-[^/]+)\/install/.exec(out)![1]! };
  };
  const plain = await timed(() => exp('plain'));
  // The package cache lives in Core's data dir: the first export with packages fills it.
  const cold = await timed(() => exp('cold', '--with-packages'));
  const warm = await timed(() => exp('warm', '--with-packages'));
  const verify = await timed(() => cli('bundle', 'verify', plain.v.file));
  const install = (b: { file: string; directory: string }, name: string, args: string[]) => {
    lab.putFile('gw', b.file, `/root/${name}.tar.gz`);
    return timed(() => {
      const r = lab.exec('gw', ['sh', '-c', `cd /root && mkdir ${name} && cd ${name} && tar xzf ../${name}.tar.gz && ./${b.directory}/install "$@"`, 'sh', ...args], 300_000);
      if (r.code !== 0) throw new Error(`install ${name} failed:\n${r.stdout}${r.stderr}`);
      return r.stdout;
    });
  };
  lab.cutLink('gw');
  const first = await install(warm.v, 'first', ['--expect-key', warm.v.fingerprint]);
  await cli('location', 'set', 'office', '--disconnect-threshold', '600');
  const upgrade = await timed(() => exp('upgrade', '--upgrade'));
  const second = await install(upgrade.v, 'second', []);

  console.log('bench/bundle: one gateway host (x86_64, Debian 12), a bare lab host with no network during the installs');
  console.log(`  export, no packages:          ${plain.ms} ms, ${MiB(statSync(plain.v.file).size)}`);
  console.log(`  export, packages (cold cache): ${cold.ms} ms, ${MiB(statSync(cold.v.file).size)}`);
  console.log(`  export, packages (warm cache): ${warm.ms} ms, ${MiB(statSync(warm.v.file).size)}`);
  console.log(`  export, upgrade (a config):   ${upgrade.ms} ms, ${(statSync(upgrade.v.file).size / 1024).toFixed(0)} KiB`);
  console.log(`  bundle verify (admin side):   ${verify.ms} ms`);
  console.log(`  install with packages:        ${first.ms} ms (tar xzf, checks, apt from the bundle, commit, verify)`);
  console.log(`  install of the upgrade:       ${second.ms} ms`);
  console.log(`  goals: export < 10 s (${Math.max(plain.ms, warm.ms) < 10_000 ? 'met' : 'MISSED'}), install with packages < 30 s (${first.ms < 30_000 ? 'met' : 'MISSED'}), archive < 60 MiB (${statSync(plain.v.file).size < 60 * 1024 * 1024 ? 'met' : 'MISSED'})`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await stop();
}
