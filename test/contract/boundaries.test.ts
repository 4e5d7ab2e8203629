// Layering, checked on the real import graph (esbuild follows every import transitively):
// Core and the contract never reach Electron, so all of Core runs in plain Node.
import { build, type Metafile } from 'esbuild';
import { describe, expect, test } from 'vitest';
import { ROOT } from '../helpers/server.js';

async function importsOf(entry: string): Promise<{ external: Set<string>; files: string[] }> {
  const r = await build({ entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
  const meta: Metafile = r.metafile;
  const external = new Set<string>();
  for (const input of Object.values(meta.inputs)) for (const imp of input.imports) if (imp.external) external.add(imp.path);
  return { external, files: Object.keys(meta.inputs) };
}

const BAD: Record<string, { entry: string; banned: string[]; why: string }> = {
  core: { entry: 'src-main/core/system.ts', banned: ['electron'], why: 'Core runs headless and in tests without Electron' },
  contract: { entry: 'src-main/contract/index.ts', banned: ['electron', 'node:fs', 'fs', 'better-sqlite3', 'ssh2', 'node:child_process'], why: 'the contract is shared with the renderer and agents' },
  'config-gen': { entry: 'src-main/config-gen/wireguard/client-config.ts', banned: ['electron', 'node:fs', 'fs', 'better-sqlite3', 'ssh2', 'node:child_process'], why: 'generators are pure functions' },
  serve: { entry: 'src-main/serve.ts', banned: ['electron'], why: '`bulwark serve` runs where Electron is not installed' },
  cli: { entry: 'src-main/bulwark.ts', banned: ['electron'], why: 'the CLI runs where Electron is not installed' },
  'agent-config': { entry: 'src-main/config-gen/agent/agent-config.ts', banned: ['electron', 'node:fs', 'fs', 'better-sqlite3', 'ssh2', 'node:child_process'], why: 'generators are pure functions' },
  plan: { entry: 'src-main/provision/plan/host-plan.ts', banned: ['electron', 'node:fs', 'fs', 'better-sqlite3', 'ssh2', 'node:child_process'], why: 'planning is pure: no SSH, no files' },
};

/** What an agent may need on a host: Node's own modules, zod and ws (bundled). Nothing else exists there. */
const AGENTS = ['agents/gateway/main.ts', 'agents/edge/main.ts', 'agents/host-apply/main.ts'];

describe('module boundaries', () => {
  test.each(Object.entries(BAD))('%s imports none of its banned modules', async (_name, rule) => {
    const { external, files } = await importsOf(rule.entry);
    expect(files.length).toBeGreaterThan(0);
    const found = rule.banned.filter((b) => external.has(b));
    expect(found, `${rule.entry} reaches ${found.join(', ')}, but ${rule.why}`).toEqual([]);
  });

  test.each(AGENTS)('%s needs nothing but Node, zod and ws on the host', async (entry) => {
    const { external, files } = await importsOf(entry);
    const foreign = [...external].filter((m) => !m.startsWith('node:') && m !== 'zod' && m !== 'ws');
    expect(foreign, `${entry} would need ${foreign.join(', ')} on the host`).toEqual([]);
    expect(files.filter((f) => /src-main\/(core|store|transport|platform|cli|provision)\//.test(f))).toEqual([]);
  });

  test('the check itself sees electron where it is imported', async () => {
    const { external } = await importsOf('src-main/main.ts');
    expect(external.has('electron')).toBe(true);
  });

  test('the renderer reaches no Node built-in and no server code', async () => {
    const r = await build({ entryPoints: ['src-renderer/main.tsx'], absWorkingDir: ROOT, bundle: true, write: false, metafile: true, platform: 'browser', format: 'esm', logLevel: 'silent', loader: { '.css': 'empty' } });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.filter((f) => /src-main\/(core|store|transport|platform|cli)\//.test(f))).toEqual([]);
  });
});
