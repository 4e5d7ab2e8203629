// `bulwark serve` and `bulwark demo`: run Core in this process until SIGINT or SIGTERM.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { resolveDataDir } from '../platform/data-dir.js';
import { createLog } from '../platform/log.js';
import { serve, type Running } from '../serve.js';
import type { CliIo } from './io.js';

/**
 * The built renderer sits beside the bundled CLI (dist/renderer); this code may run from
 * dist/ or from a split chunk in dist/chunks/. BULWARK_UI_DIR overrides.
 */
function uiDir(): string | undefined {
  const candidates = process.env.BULWARK_UI_DIR
    ? [process.env.BULWARK_UI_DIR]
    : ['./renderer/', '../renderer/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(resolve(dir, 'index.html')));
}

/** The agent artifacts sit beside the bundled CLI too (dist/agents). BULWARK_AGENTS_DIR overrides. */
function agentsDir(): string | undefined {
  const candidates = process.env.BULWARK_AGENTS_DIR
    ? [process.env.BULWARK_AGENTS_DIR]
    : ['./agents/', '../agents/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(resolve(dir, 'build.json')));
}

async function runUntilSignal(running: Running): Promise<void> {
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.stop().then(done, done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function start(o: Record<string, unknown>, dataDir: string, io: CliIo): Promise<Running> {
  if (!uiDir()) io.err('bulwark: the UI is not built, so only the API is served; run "npm run build" first\n');
  // Everything this server writes (database, WAL, keys) is for its owner alone.
  process.umask(0o077);
  return serve({
    dataDir,
    listen: String(o.listen),
    tlsCert: o.tlsCert as string | undefined,
    tlsKey: o.tlsKey as string | undefined,
    uiDir: uiDir(),
    agentsDir: agentsDir(),
    log: createLog(),
  });
}

export async function runServe(o: Record<string, unknown>, io: CliIo): Promise<void> {
  const running = await start(o, resolveDataDir(o.dataDir as string | undefined), io);
  io.out(
    `Bulwark is serving ${running.url}/ (data dir ${running.paths.dir})\n` +
      `Log in with the token in ${running.paths.token}; the CLI finds this server through the data dir.\n`,
  );
  await runUntilSignal(running);
}

export async function runDemo(o: Record<string, unknown>, io: CliIo): Promise<void> {
  const dataDir = resolve((o.dataDir as string | undefined) ?? process.env.BULWARK_DATA_DIR ?? '.demo-data');
  const running = await start(o, dataDir, io);
  const token = (await import('node:fs')).readFileSync(running.paths.token, 'utf8').trim();
  const core = running.core;
  if ((await core.invoke('locations.list', {})).length === 0) {
    await core.invoke('locations.create', { name: 'hq', network: '10.66.0.0/24', endpoint: 'vpn.example.com:51820' }, { actor: 'demo' });
    await core.invoke('devices.add', { location: 'hq', name: 'demo laptop' }, { actor: 'demo' });
  }
  io.out(
    [
      'Bulwark demo is running.',
      `  Open the UI:   ${running.url}/#token=${token}`,
      `  API token:     ${running.paths.token}`,
      `  Use the CLI:   export BULWARK_DATA_DIR=${dataDir}; node dist/bulwark.mjs location list`,
      'Press Ctrl-C to stop. The demo data stays in the data dir until you delete it.',
      '',
    ].join('\n'),
  );
  await runUntilSignal(running);
}
