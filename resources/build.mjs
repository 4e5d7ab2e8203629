// Builds everything the app runs from: dist/bulwark.mjs (CLI + headless server),
// dist/main.cjs and dist/preload.cjs (Electron shell), dist/renderer (the UI, with vite).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };

rmSync(`${root}dist`, { recursive: true, force: true });
await Promise.all([
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
await viteBuild({ configFile: `${root}src-renderer/vite.config.ts`, logLevel: 'warn' });
