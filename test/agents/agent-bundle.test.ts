// The built agent bundles run alone: copied into an empty directory (no node_modules, as on a
// host), started with the shipped runtime, they answer /healthz with the SHA-256 of their config;
// a bad config stops them with a message that names the field.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { renderEdgeConfig } from '../../src-main/config-gen/agent/agent-config.js';
import { AGENTS_DIR, tempDir } from '../helpers/server.js';

const runtime = join(AGENTS_DIR, 'runtime', 'node');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test('the edge bundle runs from an empty directory and reports its config', async () => {
  using tmp = tempDir();
  copyFileSync(join(AGENTS_DIR, 'edge.mjs'), join(tmp.dir, 'agent.mjs'));
  const port = await freePort();
  const config = renderEdgeConfig({ host: 'edge-1', healthPort: port });
  writeFileSync(join(tmp.dir, 'edge.json'), config);
  const agent = spawn(runtime, [join(tmp.dir, 'agent.mjs')], { cwd: tmp.dir, env: { BULWARK_AGENT_CONFIG: join(tmp.dir, 'edge.json') }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let body: { ok: boolean; role: string; host: string; configSha256: string } | null = null;
    for (let i = 0; i < 100 && body === null; i++) {
      body = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json() as never, () => null);
      if (body === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toMatchObject({ ok: true, role: 'edge', host: 'edge-1', configSha256: createHash('sha256').update(config).digest('hex') });
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
  expect(agent.exitCode).toBe(0);
});

test('a config the agent does not understand stops it with the field and the fix', () => {
  using tmp = tempDir();
  copyFileSync(join(AGENTS_DIR, 'gateway.mjs'), join(tmp.dir, 'agent.mjs'));
  writeFileSync(join(tmp.dir, 'gateway.json'), JSON.stringify({ version: 1, role: 'gateway', host: 'gw', health: { address: '127.0.0.1', port: 'x' }, locations: [] }));
  const r = spawnSync(runtime, [join(tmp.dir, 'agent.mjs')], { cwd: tmp.dir, env: { BULWARK_AGENT_CONFIG: join(tmp.dir, 'gateway.json') }, encoding: 'utf8' });
  expect(r.status).toBe(78);
  expect(r.stderr).toMatch(/gateway\.json: health\.port: .*provision it again/);
  const none = spawnSync(runtime, [join(tmp.dir, 'agent.mjs')], { cwd: tmp.dir, env: {}, encoding: 'utf8' });
  expect(none.stderr).toMatch(/BULWARK_AGENT_CONFIG is not set/);
});
