// What every agent does the same way: read its configuration, serve the health endpoint on
// loopback, log one line per event to stdout (journald keeps it), and stop cleanly on SIGTERM.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { z } from 'zod';
import { DATAPLANE_HEALTH_PATH, VERSION, type AgentHealth, type AgentRole } from '../../src-main/contract/index.js';
import { agentStateDir } from '../../src-main/contract/host-layout.js';

export interface LoadedConfig<T> {
  config: T;
  sha256: string;
  path: string;
}

export function loadConfig<S extends z.ZodType>(schema: S): LoadedConfig<z.infer<S>> {
  const path = process.env.BULWARK_AGENT_CONFIG;
  if (!path) fail('BULWARK_AGENT_CONFIG is not set; the systemd unit sets it to the configuration file');
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    fail(`cannot read ${path} (${(err as NodeJS.ErrnoException).code}); run "bulwark provision apply" again`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    fail(`${path} is not JSON (${(err as Error).message}); run "bulwark provision apply" again`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    fail(`${path}: ${first?.path.join('.') || '(top)'}: ${first?.message}; this agent (${VERSION}) and Core disagree, provision it again`);
  }
  return { config: parsed.data, sha256: createHash('sha256').update(text).digest('hex'), path };
}

/** The agent's state directory: systemd's StateDirectory (/var/lib/bulwark/<role>), the one place it may write. */
export function stateDirectory(role: AgentRole): string {
  return process.env.STATE_DIRECTORY ?? agentStateDir(role);
}

/** Where a certificate that Core renewed over the link is kept. */
export function renewedTls(role: AgentRole): { cert: string; key: string } {
  const dir = `${stateDirectory(role)}/tls`;
  return { cert: `${dir}/${role}.pem`, key: `${dir}/${role}.key` };
}

export function log(message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

function fail(message: string): never {
  process.stderr.write(`bulwark agent: ${message}\n`);
  process.exit(78); // EX_CONFIG: systemd shows it, and Restart=on-failure retries after RestartSec
}

/** Listens; resolves with a stop that also closes kept-alive connections. Errors say what the port was for and what to do. */
function listenFor(server: Server, address: string, port: number, what: string, noAddress: string): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen on ${address}:${port} for ${what} (${err.code}); ${err.code === 'EADDRNOTAVAIL' ? noAddress : 'another program holds the port'}`));
    });
    server.listen(port, address, () =>
      resolve(
        () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      ),
    );
  });
}

/** Serves GET /healthz; resolves once listening. */
export function serveHealth(address: string, port: number, health: () => AgentHealth): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      const body = health();
      res.writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found; the agent serves GET /healthz"}');
  });
  return listenFor(server, address, port, 'the health endpoint', `the host has no address ${address}`);
}

/**
 * A gateway's data-plane health for load balancers: GET /healthz/location/<name> answers 200
 * while `problem(name)` is null, 503 with the problem otherwise, 404 for a location not served
 * here in lb mode. It listens on the LAN (load balancers must reach it), so it says nothing
 * beyond the verdict: no peers, keys or versions.
 */
export function serveDataPlaneHealth(address: string, port: number, host: string, locations: string[], problem: (location: string) => string | null): Promise<() => Promise<void>> {
  const served = new Set(locations);
  const server = createServer((req, res) => {
    const name = req.url?.startsWith(DATAPLANE_HEALTH_PATH) ? decodeURIComponent(req.url.slice(DATAPLANE_HEALTH_PATH.length)) : null;
    if (req.method !== 'GET' || name === null || !served.has(name)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `not found; this gateway serves GET ${DATAPLANE_HEALTH_PATH}<location> for ${[...served].join(', ')}` }));
      return;
    }
    const p = problem(name);
    res.writeHead(p === null ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ ok: p === null, location: name, host, problem: p }));
  });
  server.keepAliveTimeout = 30_000;
  return listenFor(server, address, port, "the load balancer's health checks", 'the host no longer has that LAN address: run "bulwark host check" and apply again');
}

/** Runs an agent: stops on SIGTERM/SIGINT, exits non-zero on a start failure. */
export function runAgent(start: () => Promise<() => Promise<void>>): void {
  start().then(
    (stop) => {
      const shutdown = (signal: string) => {
        log('stopping', { signal });
        void stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    },
    (err: Error) => {
      process.stderr.write(`bulwark agent: ${err.message}\n`);
      process.exit(1);
    },
  );
}
