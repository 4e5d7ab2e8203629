// Builds everything the app runs from: dist/bulwark.mjs (CLI + headless server),
// dist/main.cjs and dist/preload.cjs (Electron shell), dist/renderer (the UI, with vite), and
// dist/agents: what provisioning installs on hosts (one-file agent bundles, the host-apply
// program, and the Node runtime that runs them, with build.json naming its version and arch).
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { buildEdgeWeb } from './edge-web.mjs';

const { build } = esbuild;
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };

const UNAME = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

rmSync(`${root}dist`, { recursive: true, force: true });
mkdirSync(`${root}dist/agents/runtime`, { recursive: true });
// The runtime shipped to hosts is the Node this build runs on: the one the tests exercised.
copyFileSync(process.execPath, `${root}dist/agents/runtime/node`);
const { version: VERSION } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
writeFileSync(
  `${root}dist/agents/build.json`,
  `${JSON.stringify({ version: VERSION ?? 'unknown', arch: UNAME[process.arch] ?? process.arch, node: process.version }, null, 2)}\n`,
);
// The edge's pages and scripts, built for browsers, become a module inside the edge agent.
const edgeWeb = await buildEdgeWeb(esbuild, root);
const edgeWebPlugin = {
  name: 'bulwark-edge-web',
  setup(b) {
    b.onResolve({ filter: /^bulwark:edge-web$/ }, () => ({ path: 'edge-web', namespace: 'bulwark' }));
    b.onLoad({ filter: /.*/, namespace: 'bulwark' }, () => ({ contents: `export default ${JSON.stringify(edgeWeb)};`, loader: 'js' }));
  },
};
// Hosts have no npm and no internet: each agent is one self-contained file.
const agent = (name, entry) =>
  build({
    ...common,
    sourcemap: false,
    entryPoints: [entry],
    outfile: `dist/agents/${name}.mjs`,
    format: 'esm',
    minify: true,
    legalComments: 'none',
    // ws loads these native speed-ups only if present (inside try/catch); hosts have none.
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [edgeWebPlugin],
    // ws is CommonJS: give the ESM bundle a require() for Node's built-ins.
    banner: { js: "import { createRequire as __bulwarkRequire } from 'node:module'; const require = __bulwarkRequire(import.meta.url);" },
  });
await Promise.all([
  agent('gateway', 'agents/gateway/main.ts'),
  agent('edge', 'agents/edge/main.ts'),
  agent('balancer', 'agents/balancer/main.ts'),
  agent('host-apply', 'src-main/provision/host-apply/main.ts'),
  agent('bundle-install', 'src-main/bundle-install/main.ts'),
  build({
    ...common,
    entryPoints: ['src-main/bulwark.ts'],
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    // Split so that plain CLI commands do not load the server's packages (fastify, pino).
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    packages: 'external',
    banner: { js: '#!/usr/bin/env node' },
  }),
  build({ ...common, entryPoints: ['src-main/main.ts'], outfile: 'dist/main.cjs', format: 'cjs', packages: 'external' }),
  // A sandboxed preload can require only "electron": everything else is bundled in.
  build({ ...common, entryPoints: ['src-main/transport/ipc/preload.ts'], outfile: 'dist/preload.cjs', format: 'cjs', external: ['electron'] }),
]);
// esbuild writes files 0644; `npm link` puts this file itself on the PATH, so it must stay executable.
chmodSync(`${root}dist/bulwark.mjs`, 0o755);
await viteBuild({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'warn' });
