// The contract over real HTTP and WebSocket against an in-process `bulwark serve`:
// authentication, bad input, atomicity and the live event stream.
import { statSync } from 'node:fs';
import WebSocket from 'ws';
import { describe, expect, test } from 'vitest';
import { BulwarkError, type StreamMessage } from '../../src-main/contract/index.js';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { startInProcess, UI_DIR, type InProcessServer } from '../helpers/server.js';

async function post(srv: InProcessServer, name: string, body: string | undefined, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.url}/api/v1/${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, body: (await res.json()) as { data?: unknown; error?: { code: string; message: string; field?: string } } };
}

function counts(srv: InProcessServer) {
  const db = srv.running.core.store.db;
  return ['locations', 'hosts', 'devices', 'gateways', 'edges', 'events'].map((t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
}

function wsOpen(srv: InProcessServer, opts: { protocols?: string[]; headers?: Record<string, string>; path?: string }) {
  return new Promise<{ status: 'open'; ws: WebSocket } | { status: number }>((resolve) => {
    const ws = new WebSocket(`${srv.url.replace('http', 'ws')}${opts.path ?? '/api/v1/events'}`, opts.protocols ?? ['bulwark.v1'], { headers: opts.headers ?? {} });
    ws.on('open', () => resolve({ status: 'open', ws }));
    ws.on('unexpected-response', (req, res) => {
      req.destroy();
      resolve({ status: res.statusCode ?? 0 });
    });
    ws.on('error', (err) => resolve({ status: -1, error: err.message } as never));
  });
}

describe('authentication', () => {
  test('HTTP: no token and a wrong token get 401; the right one works', async () => {
    await using srv = await startInProcess();
    const none = await fetch(`${srv.url}/api/v1/locations.list`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const wrong = await post(srv, 'locations.list', '{}', { authorization: `Bearer ${srv.token}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.message).toMatch(/wrong API token/);
    expect((await post(srv, 'locations.list', '{}')).status).toBe(200);
  });

  test('WebSocket: no token and a wrong token get 401; header and subprotocol tokens work', async () => {
    await using srv = await startInProcess();
    expect(await wsOpen(srv, {})).toEqual({ status: 401 });
    expect(await wsOpen(srv, { headers: { authorization: 'Bearer nope' } })).toEqual({ status: 401 });
    expect(await wsOpen(srv, { protocols: ['bulwark.v1', 'bearer.nope'] })).toEqual({ status: 401 });
    for (const o of [{ headers: { authorization: `Bearer ${srv.token}` } }, { protocols: ['bulwark.v1', `bearer.${srv.token}`] }]) {
      const r = await wsOpen(srv, o);
      expect(r.status).toBe('open');
      if (r.status === 'open') {
        expect(r.ws.protocol).toBe('bulwark.v1');
        r.ws.close();
      }
    }
  });

  test('the UI is served without a token, with a CSP; the API never is, however its path is spelled', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const index = await fetch(`${srv.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toMatch(/<div id="root">/);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'; script-src 'self'/);
    expect((await fetch(`${srv.url}/location/hq`)).status).toBe(200);
    for (const path of ['/api/v1/locations.list', '/%61pi/v1/locations.list', '/api/v1/%6cocations.list', '/api/v1/nothing']) {
      const r = await fetch(`${srv.url}${path}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect({ path, status: r.status }).toEqual({ path, status: 401 });
    }
    const wsBypass = await wsOpen(srv, { protocols: ['bulwark.v1'], path: '/%61pi/v1/events' });
    expect(wsBypass).toEqual({ status: 401 });
  });

  test('an empty token never matches, in a header or as a subprotocol', async () => {
    await using srv = await startInProcess();
    expect((await post(srv, 'locations.list', '{}', { authorization: 'Bearer ' })).status).toBe(401);
    expect(await wsOpen(srv, { protocols: ['bulwark.v1', 'bearer.'] })).toEqual({ status: 401 });
    const plain = await post(srv, 'locations.list', '{}', { authorization: '', 'sec-websocket-protocol': `bearer.${srv.token}` });
    expect(plain.status).toBe(401);
  });

  test('a bad ?after= on the event stream is a 400 naming "after"', async () => {
    await using srv = await startInProcess();
    const r = await wsOpen(srv, { headers: { authorization: `Bearer ${srv.token}` }, path: '/api/v1/events?after=1.5' });
    expect(r).toEqual({ status: 400 });
  });

  test('a data dir whose secret.key is gone is refused, not silently re-keyed', async () => {
    const { rmSync } = await import('node:fs');
    const { serve } = await import('../../src-main/serve.js');
    const { pino } = await import('pino');
    const srv = await startInProcess();
    await srv.client.call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' });
    await srv.running.stop();
    rmSync(srv.running.paths.masterKey);
    await expect(serve({ dataDir: srv.dataDir, listen: '127.0.0.1:0', log: pino({ level: 'silent' }) })).rejects.toThrow(/secret\.key is missing but .*bulwark\.db exists; restore secret\.key/);
    await srv[Symbol.asyncDispose]();
  });

  test('the data dir is 0700, the token and master key 0600', async () => {
    await using srv = await startInProcess();
    expect(statSync(srv.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(srv.running.paths.token).mode & 0o777).toBe(0o600);
    expect(statSync(srv.running.paths.masterKey).mode & 0o777).toBe(0o600);
    expect(srv.token.length).toBeGreaterThanOrEqual(43);
  });
});

describe('bad input', () => {
  test('each is a 400/404/413 that names the field and the fix, and stores nothing', async () => {
    await using srv = await startInProcess();
    await srv.client.call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn.example.com' });
    const before = counts(srv);
    const cases: [string, string, number, string, RegExp][] = [
      ['locations.create', '{"name": "x", ', 400, 'invalid_input', /body is not valid JSON .*send one JSON object/],
      ['locations.create', '[1,2]', 400, 'invalid_input', /expected a JSON object, got an array/],
      ['locations.create', JSON.stringify({ name: 5, network: '10.2.0.0/24', endpoint: 'e' }), 400, 'invalid_input', /^name: expected a string, got number; send a string$/],
      ['locations.create', JSON.stringify({ name: 'b', network: '10.2.0.0/24', endpoint: 'e', colour: 'red' }), 400, 'invalid_input', /^colour: unknown field "colour"; remove it$/],
      ['locations.create', JSON.stringify({ name: 'b', network: '10.2.0.0/33', endpoint: 'e' }), 400, 'invalid_input', /^network: .*prefixes run from 0 to 32/],
      ['locations.create', JSON.stringify({ name: 'b', network: '10.1.0.0/16', endpoint: 'e' }), 409, 'overlap', /overlaps location "hq"/],
      ['devices.add', JSON.stringify({ location: 'hq', name: 'a\nb' }), 400, 'invalid_input', /^name: contains a line break/],
      ['devices.add', JSON.stringify({ location: 'nowhere', name: 'a' }), 404, 'not_found', /^location: no location named "nowhere"/],
      ['hosts.create', JSON.stringify({ name: 'h', ssh: 'root@h', identityFile: 'relative' }), 400, 'invalid_input', /^identityFile: "relative" is not an absolute path/],
      ['hosts.create', JSON.stringify({ name: 'h', ssh: 'root@h', identityFile: '/etc/shadow' }), 400, 'invalid_input', /^identityFile: \/etc\/shadow is not an SSH private key that the Bulwark server can read/],
      ['hosts.create', JSON.stringify({ name: 'h', ssh: 'root@h', identityFile: `${srv.dataDir}/token` }), 400, 'invalid_input', /^identityFile: .*\/token is inside Bulwark's data directory/],
      ['devices.add', JSON.stringify({ location: 'hq', name: 'x\u202egnp.exe' }), 400, 'invalid_input', /^name: contains the invisible or text-direction character U\+202E/],
      ['devices.add', '{"location": "hq", "name": "Anna\\ud800"}', 400, 'invalid_input', /^name: is not well-formed Unicode/],
      ['no.such', '{}', 404, 'unknown_procedure', /no procedure named "no.such"/],
    ];
    for (const [name, body, status, code, message] of cases) {
      const r = await post(srv, name, body);
      expect({ name, body, status: r.status, code: r.body.error?.code }).toEqual({ name, body, status, code });
      expect(r.body.error?.message).toMatch(message);
    }
    expect(counts(srv)).toEqual(before);
  });

  test('a wrong content type is refused with the fix', async () => {
    await using srv = await startInProcess();
    const r = await post(srv, 'locations.list', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(/Content-Type: application\/json/);
  });

  test('a body over 1 MB gets 413', async () => {
    await using srv = await startInProcess();
    const r = await post(srv, 'locations.create', JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 1) }));
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe('payload_too_large');
    expect(counts(srv)[0]).toBe(0);
  });

  test('fifty concurrent device adds over HTTP get fifty distinct addresses', async () => {
    await using srv = await startInProcess();
    await srv.client.call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => srv.client.call('devices.add', { location: 'hq', name: `dev-${i}` })));
    expect(new Set(results.map((r) => r.device.address)).size).toBe(50);
    expect((await srv.client.call('devices.list', { location: 'hq' })).length).toBe(50);
  });

  test('hostile names are stored and returned byte for byte', async () => {
    await using srv = await startInProcess();
    await srv.client.call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' });
    const names = [`Anna's "laptop"`, 'x $(rm -rf /) `id`', '<script>alert(1)</script>', '; DROP TABLE devices; --'];
    for (const name of names) await srv.client.call('devices.add', { location: 'hq', name });
    expect((await srv.client.call('devices.list', { location: 'hq' })).map((d) => d.name)).toEqual(names);
  });
});

describe('event stream', () => {
  test('delivers each committed change once, in order, and replays what a client missed', async () => {
    await using srv = await startInProcess();
    const seen: StreamMessage[] = [];
    const sub = await srv.client.subscribe((m) => seen.push(m));
    await srv.client.call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' });
    await srv.client.call('devices.add', { location: 'hq', name: 'a' });
    await expect.poll(() => seen.filter((m) => m.type === 'event').length).toBe(2);
    expect(seen.flatMap((m) => (m.type === 'event' ? [[m.event.kind, m.event.actor]] : []))).toEqual([
      ['location.created', 'test'],
      ['device.added', 'test'],
    ]);
    sub.close();
    // A client that reconnects with after=<last id it saw> gets what it missed, then goes live.
    const last = seen.flatMap((m) => (m.type === 'event' ? [m.event.id] : [])).at(-1)!;
    await srv.client.call('devices.add', { location: 'hq', name: 'b' });
    const again: StreamMessage[] = [];
    const sub2 = await srv.client.subscribe((m) => again.push(m), last);
    expect(again.map((m) => (m.type === 'event' ? m.event.subject : m.type))).toEqual(['device:hq/b', 'ready']);
    sub2.close();
  });

  test('a failed change emits nothing', async () => {
    await using srv = await startInProcess();
    const seen: StreamMessage[] = [];
    const sub = await srv.client.subscribe((m) => seen.push(m));
    await expect(srv.client.call('devices.add', { location: 'nowhere', name: 'a' })).rejects.toBeInstanceOf(BulwarkError);
    await srv.client.call('hosts.create', { name: 'h', ssh: 'root@h' });
    await expect.poll(() => seen.filter((m) => m.type === 'event').length).toBe(1);
    expect(seen.filter((m) => m.type === 'event').map((m) => m.type === 'event' && m.event.kind)).toEqual(['host.created']);
    sub.close();
  });
});

describe('probes', () => {
  test('/healthz and /readyz answer without a token; /readyz is 503 with the reason once the database is gone', async () => {
    await using srv = await startInProcess({});
    expect(await (await fetch(`${srv.url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${srv.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, schema: srv.running.core.store.schemaVersion });
    // The database closed under the server (as a lost volume would leave it): not ready, and
    // still alive (liveness never depends on it).
    srv.running.core.store.close();
    const gone = await fetch(`${srv.url}/readyz`);
    expect(gone.status).toBe(503);
    expect(await gone.json()).toEqual({ ready: false, reason: 'the database is closed' });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });
});

describe('listening', () => {
  test('a non-loopback address without TLS is refused with the fix', async () => {
    const { serve } = await import('../../src-main/serve.js');
    const { pino } = await import('pino');
    await expect(serve({ dataDir: '/nonexistent/never-created', listen: '0.0.0.0:7420', log: pino({ level: 'silent' }) })).rejects.toThrow(
      /--listen: 0\.0\.0\.0 is not a loopback address.*add --tls-cert FILE --tls-key FILE, or listen on 127\.0\.0\.1/,
    );
  });

  test('with --tls-cert and --tls-key it serves HTTPS only', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const https = await import('node:https');
    const { serve } = await import('../../src-main/serve.js');
    const { pino } = await import('pino');
    const { selfSignedCert, tempDir } = await import('../helpers/server.js');
    using tmp = tempDir();
    const { cert, key } = selfSignedCert(tmp.dir, 'localhost', 'IP:127.0.0.1');
    const running = await serve({ dataDir: join(tmp.dir, 'data'), listen: '127.0.0.1:0', tlsCert: cert, tlsKey: key, log: pino({ level: 'silent' }) });
    try {
      expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const token = readFileSync(running.paths.token, 'utf8').trim();
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(`${running.url}/api/v1/locations.list`, { method: 'POST', ca: readFileSync(cert), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(200);
      await expect(fetch(running.url.replace('https', 'http') + '/healthz')).rejects.toThrow();
    } finally {
      await running.stop();
    }
  });

  test('a second server on the same data dir is refused', async () => {
    await using srv = await startInProcess();
    const { serve } = await import('../../src-main/serve.js');
    const { pino } = await import('pino');
    await expect(serve({ dataDir: srv.dataDir, listen: '127.0.0.1:0', log: pino({ level: 'silent' }) })).rejects.toThrow(/another "bulwark serve" or Bulwark app \(pid \d+\) is using/);
  });

  test('a stray file where the lock lives does not stop the server', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { serve } = await import('../../src-main/serve.js');
    const { pino } = await import('pino');
    const { tempDir } = await import('../helpers/server.js');
    using tmp = tempDir();
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, 'serve.lock'), '12345');
    const running = await serve({ dataDir, listen: '127.0.0.1:0', log: pino({ level: 'silent' }) });
    await running.stop();
  });

  test('the client names the server it cannot reach', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const c = new HttpClient({ url: `http://127.0.0.1:${port}`, token: 't' });
    await expect(c.call('locations.list', {})).rejects.toThrow(/cannot reach Bulwark at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is "bulwark serve" running\?/);
  });
});
