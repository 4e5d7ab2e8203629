// The built agent bundles run alone: copied into an empty directory (no node_modules, as on a
// host), started with the shipped runtime, they answer /healthz with the SHA-256 of their config;
// a bad config stops them with a message that names the field.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createCa, issueCert } from '../../src-main/core/pki/ca.js';
import { AGENTS_DIR, tempDir } from '../helpers/server.js';
import { RUNTIME, freePort, startAgent, until, writeAgentFiles } from '../helpers/agent.js';

/** An HTTPS request to the agent's public side; its certificate is from a throwaway CA, so it is not checked. */
function pubRequest(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

test('the edge bundle runs from an empty directory and reports its config', async () => {
  using tmp = tempDir();
  const now = new Date();
  const ca = await createCa(now, 'test CA');
  const cert = await issueCert(ca, { commonName: 'edge:edge-1', usage: 'server', dnsNames: ['edge-1'], ipAddresses: ['127.0.0.1'], notBefore: now, notAfter: new Date(now.getTime() + 3600e3) });
  const port = await freePort();
  const publicPort = await freePort();
  const config = writeAgentFiles(tmp.dir, { role: 'edge', host: 'edge-1', healthPort: port, controlPort: await freePort(), publicPort, tls: { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem } });
  const agent = startAgent(tmp.dir, config);
  try {
    const body = await until('the health endpoint', () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json() as Promise<Record<string, unknown>>, () => null));
    expect(body).toMatchObject({ ok: true, role: 'edge', host: 'edge-1', configSha256: createHash('sha256').update(config).digest('hex') });
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    // Without Core the public side is alive but not ready, and says why instead of failing requests.
    const pub = (path: string, init?: Parameters<typeof pubRequest>[2]) => pubRequest(publicPort, path, init);
    expect((await pub('/healthz')).status).toBe(200);
    const ready = await pub('/readyz');
    expect([ready.status, JSON.parse(ready.text)]).toEqual([503, { ready: false, reason: 'no link to Core' }]);
    const page = await pub('/enroll');
    expect(page.status).toBe(503);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('cannot reach its control server');
    const api = await pub('/api/v1/invite.lookup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'a'.repeat(43) }) });
    expect([api.status, (JSON.parse(api.text) as { error: { code: string } }).error.code]).toEqual([503, 'core_unreachable']);
  } finally {
    expect(await agent.stop()).toBe(0);
  }
});

test('a config the agent does not understand stops it with the field and the fix', () => {
  using tmp = tempDir();
  copyFileSync(join(AGENTS_DIR, 'gateway.mjs'), join(tmp.dir, 'agent.mjs'));
  writeFileSync(join(tmp.dir, 'gateway.json'), JSON.stringify({ version: 1, role: 'gateway', host: 'gw', health: { address: '127.0.0.1', port: 'x' }, locations: [] }));
  const r = spawnSync(RUNTIME, [join(tmp.dir, 'agent.mjs')], { cwd: tmp.dir, env: { BULWARK_AGENT_CONFIG: join(tmp.dir, 'gateway.json') }, encoding: 'utf8' });
  expect(r.status).toBe(78);
  expect(r.stderr).toMatch(/gateway\.json: health\.port: .*provision it again/);
  const none = spawnSync(RUNTIME, [join(tmp.dir, 'agent.mjs')], { cwd: tmp.dir, env: {}, encoding: 'utf8' });
  expect(none.stderr).toMatch(/BULWARK_AGENT_CONFIG is not set/);
});
