// The gateway's health: a LAN health listener that cannot start is a problem that holds across
// data-plane checks (it used to vanish at the next 2 s check, so /healthz said all was well while
// the load balancers could not reach this gateway), and it clears once the listener comes up.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import type { AgentHealth } from '../../src-main/contract/index.js';
import { DataPlaneHealth, serveGatewayHealth } from './health.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A real program holding a real port on loopback. */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const { server, port } = await holdPort();
  servers.splice(servers.indexOf(server), 1);
  await new Promise((done) => server.close(done));
  return port;
}

const report = (health: DataPlaneHealth) => (): AgentHealth => ({ ok: health.ok, role: 'gateway', host: 'gw-1', version: 'test', configSha256: '', startedAt: '', problems: health.problems });

const until = async (what: () => Promise<boolean>, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('serveGatewayHealth', () => {
  test('a LAN health port held by another program stays a problem across checks, and clears once the port is free', async () => {
    const held = await holdPort();
    const health = new DataPlaneHealth([], new Map(), async () => undefined);
    const config = { host: 'gw-1', health: { address: '127.0.0.1', port: await freePort() }, lanHealth: { address: '127.0.0.1', port: held.port, locations: ['hq'] } };
    const stop = await serveGatewayHealth(config, health, report(health), 50);
    try {
      expect(health.ok).toBe(false);
      expect(health.problems.join('\n')).toMatch(/load balancer health checks: cannot listen on 127\.0\.0\.1:\d+ .*another program holds the port/);
      await health.check();
      await health.check();
      expect(health.problems).toHaveLength(1);

      servers.splice(servers.indexOf(held.server), 1);
      await new Promise((done) => held.server.close(done));
      await until(async () => health.ok);
      // Now this gateway's listener answers there (503: no location is checked in this test).
      const res = await fetch(`http://127.0.0.1:${held.port}/healthz/location/hq`);
      expect(await res.json()).toMatchObject({ host: 'gw-1', location: 'hq' });
    } finally {
      await stop();
    }
  });

  test('stopping while a retry is pending leaves nothing listening', async () => {
    const held = await holdPort();
    const health = new DataPlaneHealth([], new Map(), async () => undefined);
    const config = { host: 'gw-1', health: { address: '127.0.0.1', port: await freePort() }, lanHealth: { address: '127.0.0.1', port: held.port, locations: ['hq'] } };
    const stop = await serveGatewayHealth(config, health, report(health), 50);
    await stop();
    servers.splice(servers.indexOf(held.server), 1);
    await new Promise((done) => held.server.close(done));
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`http://127.0.0.1:${held.port}/healthz/location/hq`)).rejects.toThrow();
  });
});
