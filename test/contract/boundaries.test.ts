// Layering, checked on the real import graph (esbuild follows every import transitively):
// Core and the contract never reach Electron, so all of Core runs in plain Node.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { importCycles, importGraph } from '../helpers/import-graph.js';
import { ROOT } from '../helpers/server.js';

async function importsOf(entry: string): Promise<{ external: Set<string>; files: string[] }> {
  const r = await build({ entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
  const meta: Metafile = r.metafile;
  const external = new Set<string>();
  for (const input of Object.values(meta.inputs)) for (const imp of input.imports) if (imp.external) external.add(imp.path);
  return { external, files: Object.keys(meta.inputs) };
}

const PURE = ['electron', 'node:fs', 'fs', 'node:fs/promises', 'better-sqlite3', 'ssh2', 'node:child_process', 'child_process', 'node:net', 'node:http', 'ws'];

const BAD: Record<string, { entry: string; banned: string[]; why: string }> = {
  core: { entry: 'src-main/system/system.ts', banned: ['electron'], why: 'Core runs headless and in tests without Electron' },
  contract: { entry: 'src-main/contract/index.ts', banned: PURE, why: 'the contract is shared with the renderer and agents' },
  serve: { entry: 'src-main/serve.ts', banned: ['electron'], why: '`bulwark serve` runs where Electron is not installed' },
  cli: { entry: 'src-main/bulwark.ts', banned: ['electron'], why: 'the CLI runs where Electron is not installed' },
  plan: { entry: 'src-main/provision/plan/host-plan.ts', banned: PURE, why: 'planning is pure: no SSH, no files' },
};

/** Source files (not tests) below a folder, relative to the repository. */
function sourcesUnder(dir: string, pattern: RegExp): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .map((f) => `${dir}/${f}`)
    .filter((f) => pattern.test(f) && !f.endsWith('.test.ts') && !f.includes('/testdata/'));
}

/** Every generator: pure functions from a model to text. */
const GENERATORS = sourcesUnder('src-main/config-gen', /\.ts$/);

/** Every program that runs on a host: the agents and the apply's host half, wherever it lives. */
const ON_HOST = [
  ...sourcesUnder('agents', /^agents\/[a-z-]+\/main\.ts$/),
  ...sourcesUnder('src-main', /\/(host-apply|bundle-install)\/main\.ts$/),
];

/** What a generator must not do even without an import: read the clock or the environment. */
const IMPURE_CALLS = [/\bDate\.now\(/, /\bnew Date\(\)/, /\bprocess\.(env|argv|cwd)\b/, /\bMath\.random\(/];

describe('module boundaries', () => {
  test.each(Object.entries(BAD))('%s imports none of its banned modules', async (_name, rule) => {
    const { external, files } = await importsOf(rule.entry);
    expect(files.length).toBeGreaterThan(0);
    const found = rule.banned.filter((b) => external.has(b));
    expect(found, `${rule.entry} reaches ${found.join(', ')}, but ${rule.why}`).toEqual([]);
  });

  test.each(GENERATORS)('generator %s is pure: no I/O, no clock, no environment', async (entry) => {
    const { external, files } = await importsOf(entry);
    const found = PURE.filter((b) => external.has(b));
    expect(found, `${entry} reaches ${found.join(', ')}, but generators are pure functions`).toEqual([]);
    for (const f of files.filter((f) => f.startsWith('src-main/'))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      const calls = IMPURE_CALLS.filter((re) => re.test(text)).map(String);
      expect(calls, `${f} (reached from ${entry}) calls ${calls.join(', ')}; pass the value in as an argument`).toEqual([]);
    }
  });

  test('every generator and every program on a host is checked', () => {
    expect(GENERATORS.length).toBeGreaterThanOrEqual(7);
    expect(ON_HOST.map((f) => f.split('/').at(-2)).sort()).toEqual(['balancer', 'bundle-install', 'edge', 'gateway', 'host-apply']);
  });

  test.each(ON_HOST)('%s needs nothing but Node, zod and ws on the host', async (entry) => {
    const { external, files } = await importsOf(entry);
    // bulwark:edge-web is the edge's pages, which the build puts into the edge's bundle.
    const foreign = [...external].filter((m) => !m.startsWith('node:') && m !== 'zod' && m !== 'ws' && m !== 'bulwark:edge-web');
    expect(foreign, `${entry} would need ${foreign.join(', ')} on the host`).toEqual([]);
    // A program on a host may use the contract, the pure generators and helpers, and its own folder.
    const own = entry.slice(0, entry.lastIndexOf('/') + 1);
    const reached = files.filter((f) => !f.startsWith(own) && /src-main\/(core|store|transport|platform|cli|provision|link|failover|system|edge|bundle)\//.test(f));
    expect(reached, `${entry} reaches Core's modules, which do not exist on a host`).toEqual([]);
  });

  test('the check itself sees electron where it is imported', async () => {
    const { external } = await importsOf('src-main/main.ts');
    expect(external.has('electron')).toBe(true);
  });

  test('no two modules import each other, type imports included', () => {
    const cycles = importCycles(importGraph(ROOT, ['src-main', 'agents', 'src-renderer']));
    expect(cycles.map((c) => c.join(' <-> ')), 'break each cycle by moving the shared types to a module both import').toEqual([]);
  });

  test('no two rooms import each other: each room is a layer above the ones it uses', () => {
    // A room is a folder below src-main/ or agents/; the entry files at src-main/'s top are not.
    const room = (f: string) => (f.split('/').length > 2 ? f.split('/').slice(0, 2).join('/') : null);
    const uses = new Map<string, Map<string, string>>();
    for (const [file, deps] of importGraph(ROOT, ['src-main', 'agents', 'src-renderer'])) {
      if (file.endsWith('.test.ts')) continue;
      for (const dep of deps) {
        const [a, b] = [room(file), room(dep)];
        if (a && b && a !== b) (uses.get(a) ?? uses.set(a, new Map()).get(a)!).set(b, `${file} -> ${dep}`);
      }
    }
    const both = [...uses].flatMap(([a, bs]) => [...bs].filter(([b]) => a < b && uses.get(b)?.has(a)).map(([b, why]) => `${a} <-> ${b}: ${why}; ${uses.get(b)!.get(a)}`));
    expect(both, 'move what both need into the lower room, or into a port the lower room owns').toEqual([]);
  });

  test('the cycle check sees a cycle', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  test('the renderer reaches no Node built-in and no server code', async () => {
    const r = await build({ entryPoints: ['src-renderer/main.tsx'], absWorkingDir: ROOT, bundle: true, write: false, metafile: true, platform: 'browser', format: 'esm', logLevel: 'silent', loader: { '.css': 'empty' } });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((f) => /src-main\/(core|store|transport|platform|cli)\//.test(f))).toEqual([]);
  });
});
