// Issue #11 (part 3): the HTTP server under hostile clients: refused upgrades that must not
// leak sockets, slow bodies, claimed actors, Host headers, echoed input and source maps.
import { connect, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { StreamMessage } from '../../src-main/contract/index.js';
import { request } from 'node:http';
import { startChild, startInProcess, tempDir, UI_DIR, type InProcessServer } from '../helpers/server.js';

function connections(srv: InProcessServer): Promise<number> {
  return new Promise((resolve, reject) => srv.running.http.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** Sends `request` on a raw TCP socket and reads one whole answer (by its content-length). */
function rawExchange(srv: InProcessServer, request: string): Promise<{ head: string; body: string; socket: Socket }> {
  const { port } = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
      if (text.length - end - 4 >= length) resolve({ head: text.slice(0, end), body: text.slice(end + 4), socket });
    });
    socket.write(request);
  });
}

const upgrade = (path: string, headers: string[] = []) =>
  [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Protocol: bulwark.v1',
    ...headers,
    '',
    '',
  ].join('\r\n');

describe('refused WebSocket upgrades', () => {
  test('a refused upgrade (no token, wrong token, bad after, wrong Host) leaves no server socket behind once the client closes', async () => {
    await using srv = await startInProcess();
    const baseline = await connections(srv);
    const cases = [
      upgrade('/api/v1/events'),
      upgrade('/api/v1/events', ['Authorization: Bearer nope']),
      upgrade('/api/v1/events?after=x', [`Authorization: Bearer ${srv.token}`]),
      upgrade('/api/v1/events', [`Authorization: Bearer ${srv.token}`]).replace('Host: 127.0.0.1', 'Host: evil.example'),
    ];
    for (let i = 0; i < 40; i++) {
      const { head, socket } = await rawExchange(srv, cases[i % cases.length]!);
      expect(head).toMatch(/^HTTP\/1\.1 4(00|01|21) /);
      socket.end();
    }
    // Before the fix every one stayed in CLOSE-WAIT for good.
    await expect.poll(() => connections(srv), { timeout: 5000 }).toBe(baseline);
    // And the right token still gets the stream.
    const sub = await srv.client.subscribe(() => undefined);
    sub.close();
  });
});

describe('resource limits', () => {
  test('an authenticated body that never finishes gets 408 and the connection is closed', async () => {
    await using srv = await startInProcess({ requestTimeoutMs: 500 });
    const { port } = new URL(srv.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(
      ['POST /api/v1/locations.list HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${srv.token}`, 'Content-Type: application/json', 'Content-Length: 100', '', '{"a'].join('\r\n'),
    );
    const started = Date.now();
    // Before the fix the server waited for the rest for ever (requestTimeout 0).
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5000))]);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('the audit actor', () => {
  test('an event keeps the actor the client claims beside the transport and peer the server saw', async () => {
    await using srv = await startInProcess();
    const seen: StreamMessage[] = [];
    const sub = await srv.client.subscribe((m) => seen.push(m));
    const r = await fetch(`${srv.url}/api/v1/locations.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json', 'x-bulwark-actor': 'cli:root@elsewhere' },
      body: JSON.stringify({ name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' }),
    });
    expect(r.status).toBe(200);
    const listed = (await srv.client.call('events.list', {})).find((e) => e.kind === 'location.created');
    expect(listed).toMatchObject({ actor: 'cli:root@elsewhere', origin: expect.stringMatching(/^http 127\.0\.0\.1:\d+$/) });
    await expect.poll(() => seen.find((m) => m.type === 'event' && m.event.kind === 'location.created')).toMatchObject({ event: { actor: 'cli:root@elsewhere', origin: listed!.origin } });
    sub.close();
    // A change Core makes on its own says so.
    await srv.running.core.invoke('locations.remove', { name: 'hq' });
    expect((await srv.client.call('events.list', { newest: true, limit: 1 }))[0]).toMatchObject({ actor: 'core', origin: 'in-process' });
  });
});

describe('small leaks and surprises', () => {
  test('an after= beyond the newest event is a 400 naming "after", not a stream that stays silent', async () => {
    await using srv = await startInProcess();
    const newest = srv.running.core.lastEventId();
    const { head, body } = await rawExchange(srv, upgrade(`/api/v1/events?after=${newest + 100}`, [`Authorization: Bearer ${srv.token}`]));
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(body).toMatch(new RegExp(`"message":"after: ${newest + 100} is past the newest event \\(${newest}\\); resume from an event id you have seen`));
    await expect(srv.client.subscribe(() => undefined, newest + 100)).rejects.toThrow(/HTTP 400/);
    const sub = await srv.client.subscribe(() => undefined, newest);
    sub.close();
  });

  test('an error quoting a 1 MB input cuts it short', async () => {
    await using srv = await startInProcess();
    for (const body of [{ name: 'x', network: 'y'.repeat(1_000_000), endpoint: 'vpn' }, { name: 'x', network: '10.1.0.0/24', endpoint: 'vpn', ['k'.repeat(1_000_000)]: 1 }]) {
      const r = await fetch(`${srv.url}/api/v1/locations.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      expect(r.status).toBe(400);
      // Before the fix: 2 MB and 5 MB.
      expect(text.length).toBeLessThan(30_000);
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(/more characters cut\)/);
    }
  });

  test('source maps are not served; the UI still is', async () => {
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const maps = readdirSync(join(UI_DIR, 'assets')).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const f of maps) expect({ f, status: (await fetch(`${srv.url}/assets/${f}`)).status }).toEqual({ f, status: 404 });
    const js = readdirSync(join(UI_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
    expect((await fetch(`${srv.url}/assets/${js}`)).status).toBe(200);
  });

  test('a Host header that is not this server (DNS rebinding) gets 421 naming "Host"; the listen address and loopback names work', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const { port } = new URL(srv.url);
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example']) {
      for (const path of ['/', '/healthz', '/location/hq']) {
        const { head } = await rawExchange(srv, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        expect({ host, path, status: head.split(' ')[1] }).toEqual({ host, path, status: '421' });
      }
    }
    const { head } = await rawExchange(srv, upgrade('/api/v1/events', [`Authorization: Bearer ${srv.token}`]).replace('Host: 127.0.0.1', 'Host: evil.example'));
    expect(head).toMatch(/^HTTP\/1\.1 421 /);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST.']) {
      const { head: ok } = await rawExchange(srv, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect({ host, status: ok.split(' ')[1] }).toEqual({ host, status: '200' });
    }
    const { body } = await rawExchange(srv, `GET /healthz HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`);
    expect(body).toMatch(/"field":"Host".*is not a name this server answers to \(127\.0\.0\.1, localhost, \[::1\]\)/);
  });
});

describe('Host names from the TLS certificate', () => {
  test('a name the certificate is for is answered; others still get 421', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const https = await import('node:https');
    const { pino } = await import('pino');
    const { serve } = await import('../../src-main/serve.js');
    const { selfSignedCert, tempDir } = await import('../helpers/server.js');
    using tmp = tempDir();
    const { cert, key } = selfSignedCert(tmp.dir, 'bulwark.test', 'DNS:bulwark.test,IP:127.0.0.1');
    const running = await serve({ dataDir: join(tmp.dir, 'data'), listen: '127.0.0.1:0', tlsCert: cert, tlsKey: key, log: pino({ level: 'silent' }) });
    try {
      const statusFor = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = https.request(`${running.url}/healthz`, { ca: readFileSync(cert), headers: { host }, servername: 'bulwark.test', checkServerIdentity: () => undefined }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await statusFor('bulwark.test')).toBe(200);
      expect(await statusFor('127.0.0.1')).toBe(200);
      expect(await statusFor('evil.example')).toBe(421);
    } finally {
      await running.stop();
    }
  });
});

describe('bulwark serve --allow-host', () => {
  function statusFor(url: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/healthz`, { headers: { Host: host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('a name given with --allow-host is answered; any other name still gets 421', async () => {
    using dir = tempDir();
    const srv = await startChild(dir.dir, ['--allow-host', 'vpn-admin.example', '--allow-host', 'bulwark.example']);
    try {
      expect(await statusFor(srv.url, 'vpn-admin.example')).toBe(200);
      expect(await statusFor(srv.url, 'bulwark.example')).toBe(200);
      expect(await statusFor(srv.url, 'evil.example')).toBe(421);
    } finally {
      await srv.stop();
    }
  });
});
