// How a lab bench starts: root and the lab's tools checked, a lab, Core serving on loopback with
// the built agents, and the built CLI as an admin runs it. Shared by bench/failover and bench/apply.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { serve } from '../src-main/serve.js';
import { Lab, labMissing } from '../test/lab/scenario.js';

export async function startBench(name: string) {
  const root = `${process.cwd()}/`;
  const missing = labMissing();
  if (missing) {
    console.error(`bench/${name} cannot run: ${missing}`);
    process.exit(1);
  }
  const base = mkdtempSync(join(tmpdir(), `bulwark-bench-${name}-`));
  const lab = await Lab.create();
  const dataDir = join(base, 'data');
  const running = await serve({ dataDir, listen: '127.0.0.1:0', agentsDir: join(root, 'dist/agents'), log: pino({ level: 'silent' }), link: { heartbeatMs: 300, downAfterMs: 2000 } });
  /** The built CLI, as an admin runs it; its stdout, or an error with what it said. */
  const cli = async (...args: string[]) => {
    try {
      return (await promisify(execFile)(process.execPath, [join(root, 'dist/bulwark.mjs'), '--data-dir', dataDir, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`bulwark ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  const stop = async () => {
    await running.stop();
    await lab.down();
    rmSync(base, { recursive: true, force: true });
  };
  const core = running.core;
  /** Booted lab hosts added to Core, each with its key pinned. */
  const addHosts = async (hosts: { name: string; address: string }[]) => {
    for (const h of hosts) {
      await core.invoke('hosts.create', { name: h.name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
      await core.invoke('hosts.check', { name: h.name, accept: (await core.invoke('hosts.check', { name: h.name })).fingerprint });
    }
  };
  /** A location served by booted lab hosts: each added, its key pinned and made a gateway. */
  const gatewaysOf = async (location: string, network: string, endpoint: string, hosts: { name: string; address: string }[]) => {
    await cli('location', 'add', location, '--network', network, '--endpoint', endpoint);
    await addHosts(hosts);
    for (const h of hosts) await core.invoke('gateways.add', { location, host: h.name });
  };
  return { lab, core, cli, addHosts, gatewaysOf, stop };
}
