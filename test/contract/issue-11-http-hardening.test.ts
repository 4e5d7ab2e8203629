// Issue #11 (part 3): the HTTP server under hostile clients: refused upgrades that must not
// leak sockets, slow bodies, claimed actors, Host headers, echoed input and source maps.
import { connect, type Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import type { StreamMessage } from '../../src-main/contract/index.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

function connections(srv: InProcessServer): Promise<number> {
  return new Promise((resolve, reject) => srv.running.http.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

/** Sends `request` on a raw TCP socket, reads the whole answer (until the status line and headers are in), then half-closes. */
function rawExchange(srv: InProcessServer, request: string): Promise<{ head: string; socket: Socket }> {
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
      if (text.length - end - 4 >= length) resolve({ head: text.slice(0, end), socket });
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
  test('a 401 upgrade (no token, wrong token) leaves no server socket behind once the client closes', async () => {
    await using srv = await startInProcess();
    const baseline = await connections(srv);
    const cases = [upgrade('/api/v1/events'), upgrade('/api/v1/events', ['Authorization: Bearer nope']), upgrade('/api/v1/events?after=x', [`Authorization: Bearer ${srv.token}`])];
    for (let i = 0; i < 30; i++) {
      const { head, socket } = await rawExchange(srv, cases[i % cases.length]!);
      expect(head).toMatch(/^HTTP\/1\.1 40[01] /);
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
