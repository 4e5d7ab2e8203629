// `npm run demo` as a new admin runs it, as root (no sudo): the banner is readable (no log lines),
// the hosts are there, Ctrl-C says what it does and removes the lab, and a second run on the same
// data dir works, after the first one installed a host. The script is the same bundle `npm run demo` runs, built here without
// `npm run build` (which would rewrite dist/ under the other tests).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { cidrContains, parseCidr, parseInterfaceAddress } from '../../src-main/net/ip.js';
import { CLI, ROOT } from '../helpers/server.js';
import { labMissing } from './scenario.js';
import { STATE_PREFIX, STATE_ROOT } from './teardown.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

interface Demo {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function startDemo(script: string, dataDir: string): Demo {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, BULWARK_DATA_DIR: dataDir, BULWARK_LISTEN: '127.0.0.1:0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, out: () => out, exited };
}

async function banner(demo: Demo): Promise<string> {
  const deadline = Date.now() + 240_000;
  while (!demo.out().includes('Press Ctrl-C to stop')) {
    if (demo.child.exitCode !== null) throw new Error(`the demo exited (${demo.child.exitCode}) before its banner:\n${demo.out()}`);
    if (Date.now() > deadline) throw new Error(`no banner within 240 s:\n${demo.out()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return demo.out();
}

/** The lab the banner names (its /27), or null once no lab of that range is left on this machine. */
function labOf(prefix: string): string | null {
  for (const d of readdirSync(STATE_ROOT).filter((n) => n.startsWith(STATE_PREFIX))) {
    const file = join(STATE_ROOT, d, 'prefix');
    if (existsSync(file) && readFileSync(file, 'utf8').trim() === prefix) return d;
  }
  return null;
}

const cli = (dataDir: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BULWARK_DATA_DIR: dataDir } });

describe.skipIf(missing !== null)('npm run demo', () => {
  test('runs as root, stops cleanly on Ctrl-C, and runs again on the same data dir', async () => {
    const work = mkdtempSync(join(ROOT, 'test-results', 'demo-'));
    const script = join(work, 'lab-demo.mjs');
    const dataDir = join(work, 'data');
    const demos: Demo[] = [];
    try {
      buildSync({ entryPoints: [join(ROOT, 'test/lab/demo.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: script, logLevel: 'warning' });
      const prefixes: string[] = [];
      for (const run of [1, 2]) {
        const demo = startDemo(script, dataDir);
        demos.push(demo);
        const text = await banner(demo);
        // Core logs to a file: no JSON line in the admin's terminal.
        expect(text.split('\n').filter((l) => l.trimStart().startsWith('{')), `run ${run}`).toEqual([]);
        expect(readFileSync(join(dataDir, 'core.log'), 'utf8')).toMatch(/"msg":"bulwark serve is listening"/);
        const prefix = /five lab hosts .* on (\S+):/.exec(text)?.[1];
        expect(prefix, text).toMatch(/^\d+\.\d+\.\d+\.\d+\/27$/);
        prefixes.push(prefix!);
        expect(labOf(prefix!)).not.toBeNull();
        // The floating IP it suggests lies on this run's LAN.
        const vip = /--mode vrrp --vip (\S+)/.exec(text)?.[1];
        const lan = parseCidr(prefix!);
        const addr = parseInterfaceAddress(vip ?? '');
        expect(lan.ok && addr.ok && cidrContains(lan.value, addr.value.family, addr.value.address), `${vip} on ${prefix}`).toBe(true);
        const hosts = JSON.parse(cli(dataDir, 'host', 'list', '--json').stdout) as { name: string; sshAddress: string; hostKeyFingerprint: string | null }[];
        expect(hosts.map((h) => h.name).sort()).toEqual(['edge1', 'edge2', 'gw1', 'gw2', 'lb']);
        for (const h of hosts) expect(text).toContain(`root@${h.sshAddress}`);
        if (run === 1) {
          // Pin gw1's key and install it: the next run must forget a host that ran Bulwark's
          // agents (the first demo's second run died on exactly that).
          const fp = /^Host key:\s+(\S+)$/m.exec(cli(dataDir, 'host', 'check', 'gw1').stdout)?.[1];
          expect(cli(dataDir, 'host', 'check', 'gw1', '--accept', fp!).status).toBe(0);
          const applied = cli(dataDir, 'provision', 'apply', '--host', 'gw1');
          expect(applied.status, applied.stdout + applied.stderr).toBe(0);
        } else {
          expect(hosts.every((h) => h.hostKeyFingerprint === null)).toBe(true);
        }

        demo.child.kill('SIGINT');
        expect(await demo.exited, demo.out()).toBe(0);
        expect(demo.out()).toMatch(/Ctrl-C: stopping Core…\nRemoving the lab hosts \(gw1, gw2, edge1, edge2, lb\)…\nLab removed\. The data dir stays: /);
        expect(labOf(prefix!), 'the lab is gone after Ctrl-C').toBeNull();
      }
    } finally {
      for (const d of demos) if (d.child.exitCode === null) d.child.kill('SIGINT');
      await Promise.all(demos.map((d) => d.exited));
      rmSync(work, { recursive: true, force: true });
    }
  }, 600_000);
});
