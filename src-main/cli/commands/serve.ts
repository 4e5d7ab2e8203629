// `bulwark serve` and `bulwark demo`: run Core in this process until SIGINT or SIGTERM. The
// server's packages (fastify, pino) load only when one of them runs, not for every command.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { externalSecrets, resolveDataDir } from '../../platform/data-dir.js';
import { DEFAULT_LISTEN } from '../../platform/listen.js';
import type { Running } from '../../serve.js';
import type { GlobalOptions } from '../client.js';
import type { Cli } from '../command.js';
import type { CliIo } from '../io.js';
import { repeated, text, withDefault, type Options } from '../options.js';

const SERVE_OPTIONS = {
  listen: withDefault('<host:port>', 'address to listen on; beyond loopback needs TLS', DEFAULT_LISTEN),
  tlsCert: text('<file>', 'PEM certificate for HTTPS'),
  tlsKey: text('<file>', 'PEM private key for HTTPS'),
  clientDir: text('<dir>', "also publish the address and token here, readable by the directory's group (a system service's RuntimeDirectory)"),
  allowHost: repeated('<name>', 'another name browsers may use for this server (the Host header; repeatable); loopback names, the listen address and the certificate\'s names are always allowed'),
};
const DEMO_OPTIONS = { listen: withDefault('<host:port>', 'address to listen on', DEFAULT_LISTEN) };

type ServeOptions = Options<typeof SERVE_OPTIONS> & GlobalOptions;
type DemoOptions = Options<typeof DEMO_OPTIONS> & GlobalOptions;

export function register(program: Command, cli: Cli): void {
  cli.command(program, 'serve', 'run Core headless with its UI and API (HTTP + WebSocket)', SERVE_OPTIONS, (_o, cmd) =>
    runServe(cmd.optsWithGlobals<ServeOptions>(), cli.io),
  );
  cli.command(program, 'demo', 'start Core with a throwaway demo data dir and print how to open the UI', DEMO_OPTIONS, (_o, cmd) =>
    runDemo(cmd.optsWithGlobals<DemoOptions>(), cli.io),
  );
}

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

async function start(o: { listen: string; tlsCert?: string | undefined; tlsKey?: string | undefined; allowHost?: string[] | undefined; clientDir?: string | undefined }, dataDir: string, io: CliIo): Promise<Running> {
  const [{ serve }, { createLog }] = await Promise.all([import('../../serve.js'), import('../../platform/log.js')]);
  if (!uiDir()) io.err('bulwark: the UI is not built, so only the API is served; run "npm run build" first\n');
  // Everything this server writes (database, WAL, keys) is for its owner alone.
  process.umask(0o077);
  return serve({ dataDir, listen: o.listen, tlsCert: o.tlsCert, tlsKey: o.tlsKey, hostNames: o.allowHost ?? [], uiDir: uiDir(), agentsDir: agentsDir(), secrets: externalSecrets(), ...(o.clientDir === undefined ? {} : { clientDir: resolve(o.clientDir) }), log: createLog() });
}

async function runServe(o: ServeOptions, io: CliIo): Promise<void> {
  const running = await start(o, resolveDataDir(o.dataDir), io);
  io.out(
    `Bulwark is serving ${running.url}/ (data dir ${running.paths.dir})\n` +
      `Log in with the token in ${running.paths.token}; the CLI finds this server through the data dir.\n` +
      (running.fingerprint === undefined ? '' : `TLS certificate SHA-256 ${running.fingerprint}; a CLI elsewhere pins it with --server URL --fingerprint ${running.fingerprint}\n`),
  );
  await runUntilSignal(running);
}

async function runDemo(o: DemoOptions, io: CliIo): Promise<void> {
  const dataDir = resolve(o.dataDir ?? process.env.BULWARK_DATA_DIR ?? '.demo-data');
  const running = await start(o, dataDir, io);
  const token = readFileSync(running.paths.token, 'utf8').trim();
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
