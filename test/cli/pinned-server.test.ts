// The CLI and a Core that serves HTTPS with a certificate the CLI cannot check the usual way (not
// for the address it dials, and self-signed): through the data dir it pins the fingerprint the
// server published; with --server it pins the one --fingerprint names. Another listener that
// shows another certificate gets nothing: not a byte of the request, nor the token.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { runCli, selfSignedCert, startChild, tempDir, type ChildServer } from '../helpers/server.js';

const tmp = tempDir('bulwark-pinned-');
const dataDir = join(tmp.dir, 'data');
const certDir = join(tmp.dir, 'core-cert');
const decoyDir = join(tmp.dir, 'decoy-cert');
let server: ChildServer;
let fingerprint: string;
let tokenFile: string;

function opensslFingerprint(cert: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', cert], { encoding: 'utf8' }).trim().replace(/^.*=/, '');
}

beforeAll(async () => {
  for (const dir of [certDir, decoyDir]) mkdirSync(dir);
  // For a name the CLI never dials, and signed by nobody it trusts.
  const { cert, key } = selfSignedCert(certDir, 'core.example.test', 'DNS:core.example.test');
  fingerprint = opensslFingerprint(cert);
  server = await startChild(dataDir, ['--tls-cert', cert, '--tls-key', key]);
  tokenFile = join(dataDir, 'token');
});

afterAll(async () => {
  await server?.stop();
  tmp[Symbol.dispose]();
});

/** A TLS listener with its own certificate that records what clients send it. */
async function decoy(): Promise<{ server: Server; port: number; fingerprint: string; received: () => Promise<number> }> {
  const { cert, key } = selfSignedCert(decoyDir, 'core.example.test', 'DNS:core.example.test');
  let received = 0;
  const closed: Promise<void>[] = [];
  const srv = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => {
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.on('data', (d: Buffer) => {
      received += d.length;
      socket.destroy();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  // Counted once every connection is over: nothing still on its way is missed.
  const count = async () => {
    await Promise.all(closed);
    return received;
  };
  return { server: srv, port: (srv.address() as { port: number }).port, fingerprint: opensslFingerprint(cert), received: count };
}

describe('the CLI and a Core with a certificate it pins', () => {
  test('serve prints its fingerprint; the CLI finds the server through the data dir and pins it', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stdout()).toContain(`TLS certificate SHA-256 ${fingerprint}; a CLI elsewhere pins it with --server URL --fingerprint ${fingerprint}`);
    const add = await runCli(['--data-dir', dataDir, 'location', 'add', 'hq', '--network', '10.77.0.0/24', '--endpoint', 'vpn.example.com']);
    expect(add.code, add.stderr).toBe(0);
    expect((await runCli(['--data-dir', dataDir, 'location', 'list'])).stdout).toMatch(/hq/);
  });

  test('--server with --fingerprint, in any usual spelling, reaches it; without, the certificate is refused', async () => {
    const bare = fingerprint.replace(/:/g, '').toLowerCase();
    for (const spelling of [fingerprint, bare, `sha256:${bare}`]) {
      const r = await runCli(['--server', server.url, '--token-file', tokenFile, '--fingerprint', spelling, 'location', 'list']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/hq/);
    }
    const unpinned = await runCli(['--server', server.url, '--token-file', tokenFile, 'location', 'list']);
    expect(unpinned.code).not.toBe(0);
    expect(unpinned.stderr).toMatch(/the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted here \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)\); pin it with --fingerprint SHA256/);
  });

  test('the event stream is pinned too', async () => {
    const client = new HttpClient({ url: server.url, token: readFileSync(tokenFile, 'utf8').trim(), pin: { sha256: fingerprint, onMismatch: '' } });
    const stream = await client.subscribe(() => undefined);
    stream.close();
    await stream.closed;
  });

  test('a listener with another certificate gets nothing, and the error says whose certificate it was', async () => {
    const d = await decoy();
    try {
      const url = `https://127.0.0.1:${d.port}`;
      const r = await runCli(['--server', url, '--token-file', tokenFile, '--fingerprint', fingerprint, 'location', 'list']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`showed a certificate with SHA-256 ${d.fingerprint}, not the pinned ${fingerprint}; nothing was sent to it. Check --fingerprint`);
      expect(await d.received()).toBe(0);

      // A server.json whose address another program holds now: the data dir's pin stops it too.
      const stale = join(tmp.dir, 'stale');
      await (await startChild(stale)).stop();
      writeFileSync(join(stale, 'server.json'), JSON.stringify({ url, pid: process.pid, fingerprint }), { mode: 0o600 });
      const viaDataDir = await runCli(['--data-dir', stale, 'location', 'list']);
      expect(viaDataDir.code).not.toBe(0);
      expect(viaDataDir.stderr).toMatch(/nothing was sent to it\. \S+server\.json names another certificate: another program may hold that port now; restart "bulwark serve"/);
      expect(await d.received()).toBe(0);

      // The same listener pinned by its own fingerprint does get the request: the counts above can fail.
      await runCli(['--server', url, '--token-file', tokenFile, '--fingerprint', d.fingerprint, 'location', 'list']);
      expect(await d.received()).toBeGreaterThan(0);
    } finally {
      d.server.close();
    }
  });

  test('a bad --fingerprint, or one without an https --server, names the field and the fix', async () => {
    const bad = await runCli(['--server', server.url, '--token-file', tokenFile, '--fingerprint', 'AB:CD', 'location', 'list']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fingerprint: "AB:CD" is not a SHA-256 fingerprint; give the 64 hex digits bulwark serve prints/);
    const alone = await runCli(['--data-dir', dataDir, '--fingerprint', fingerprint, 'location', 'list']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--fingerprint: pins the certificate of an https --server/);
  });
});
