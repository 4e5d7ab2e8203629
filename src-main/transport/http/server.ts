// transport/http: the contract over HTTP (POST /api/v1/<procedure>) and the event stream over
// a WebSocket (/api/v1/events). Thin: authenticate, parse, hand to Core, map errors.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { BulwarkError, DOWNLOAD_KINDS, isProcedureName, type StreamMessage, type Topology } from '../../contract/index.js';
import { createMetrics } from './metrics.js';
import { bracketHost, formatEndpoint } from '../../net/endpoint.js';
import type { Core } from '../../system/system.js';
import type { Log } from '../../platform/log.js';
import { sendError } from './error-reply.js';
import { allowedHosts, refuseHost } from './host-check.js';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from './protocol.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** How long a client may take to send one whole request (headers and body); then 408 and close. */
export const REQUEST_TIMEOUT_MS = 60_000;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

export interface HttpServerOptions {
  host: string;
  port: number;
  token: string;
  tls?: { cert: Buffer; key: Buffer };
  /** Built renderer (index.html and assets); the UI is not served when absent. */
  uiDir?: string;
  /** Host names the server answers to besides its listen address and loopback (see host-check.ts). */
  hostNames?: readonly string[];
  /** Time to receive one whole request, in ms; default REQUEST_TIMEOUT_MS (tests shorten it). */
  requestTimeoutMs?: number;
  log: Log;
}

export interface HttpServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  const protocols = req.headers['sec-websocket-protocol'];
  if (typeof protocols === 'string' && req.headers.upgrade?.toLowerCase() === 'websocket') {
    const p = protocols.split(',').map((s) => s.trim()).find((s) => s.startsWith(WS_TOKEN_PREFIX));
    if (p) return p.slice(WS_TOKEN_PREFIX.length) || undefined;
  }
  return undefined;
}

/**
 * The caller as it describes itself (x-bulwark-actor, any value a token holder likes) and as
 * this server saw it (transport and peer address), kept side by side in the audit trail.
 */
function callerOf(req: FastifyRequest, transport: 'http' | 'https'): Parameters<Core['call']>[2] {
  const raw = req.headers['x-bulwark-actor'];
  const actor = typeof raw === 'string' ? raw.replace(/[^\x21-\x7e]/g, '').slice(0, 64) : '';
  const { remoteAddress, remotePort } = req.socket;
  const peer = remoteAddress === undefined ? 'unknown peer' : formatEndpoint({ host: remoteAddress, port: remotePort ?? 0 });
  return { actor: actor || 'api', origin: `${transport} ${peer}` };
}

/** Maps fastify's own failures (bad JSON, big body, wrong content type) to contract errors. */
function toBulwarkError(err: FastifyError | BulwarkError | Error): BulwarkError {
  if (err instanceof BulwarkError) return err;
  const code = (err as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new BulwarkError('payload_too_large', `request body is larger than ${BODY_LIMIT_BYTES} bytes; send less data per call`);
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new BulwarkError('invalid_input', 'body must be JSON; send it with Content-Type: application/json');
  }
  if ((err as FastifyError).statusCode === 400) {
    return new BulwarkError('invalid_input', `body is not valid JSON (${err.message}); send one JSON object`);
  }
  return new BulwarkError('internal', `the server failed: ${err.message}`, { cause: err });
}

export async function startHttpServer(core: Core, opts: HttpServerOptions): Promise<HttpServer> {
  // fastify's default of 0 let an authenticated client trickle a body for ever. Node checks
  // the deadline every connectionsCheckingInterval, so that is kept well below it, and only
  // while headersTimeout is no longer than requestTimeout.
  const requestTimeout = opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const timeouts = {
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(requestTimeout / 4))),
    headersTimeout: requestTimeout,
  };
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    forceCloseConnections: true,
    requestTimeout,
    http: timeouts,
    loggerInstance: opts.log.child({ component: 'http' }),
    // Per-request lines would cost more than the requests; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key, ...timeouts } } : {}),
  }) as unknown as FastifyInstance;

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BulwarkError('invalid_input', `body is not valid JSON (${(err as Error).message}); send one JSON object`), undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toBulwarkError(err as FastifyError);
    if (e.code === 'internal') req.log.error({ err }, 'request failed');
    void sendError(reply, e);
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', CSP);
    return payload;
  });

  // Registered before the hooks that refuse requests: its own onRequest hook marks an upgrade
  // so that its onResponse hook destroys the socket of one refused with a plain HTTP answer.
  // Registered after them, a 401 upgrade never got marked, and its socket sat in CLOSE-WAIT
  // for good once the client hung up (issue #11).
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: 64 * 1024,
      handleProtocols: (protocols: Set<string>) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  });

  const hosts = allowedHosts(opts.host, opts.hostNames);
  app.addHook('onRequest', async (req, reply) => {
    const refused = refuseHost(req.headers.host, hosts);
    if (refused !== undefined) return sendError(reply, BulwarkError.field('Host', refused), 421);
  });

  app.addHook('onRequest', async (req, reply) => {
    // Decide by the route the router matched (after it decoded the path), never by the raw
    // URL: "/%61pi/v1/…" is the API too. Unmatched requests reach only the 404/UI handler.
    const route = req.routeOptions.url;
    if (route === undefined || !(route.startsWith('/api/') || route === '/metrics')) return;
    const given = tokenOf(req);
    if (given === undefined || !sameSecret(given, opts.token)) {
      const e = new BulwarkError(
        'unauthorized',
        given === undefined
          ? 'no API token; send "Authorization: Bearer <token>" with the token from the data dir\'s token file'
          : 'wrong API token; use the token from the data dir\'s token file',
      );
      return sendError(reply.header('www-authenticate', 'Bearer'), e);
    }
  });

  // Liveness: the process answers, and nothing else (never the agents). Readiness: the database
  // is open, answers and is migrated (Kubernetes' probes, a load balancer's check).
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const r = core.store.readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  const metrics = createMetrics(async () => (await core.call('topology.get', {}, { actor: 'metrics' })) as Topology);
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.url !== '/api/v1/:procedure') return;
    const name = (req.params as { procedure?: string }).procedure ?? '';
    metrics.observe(isProcedureName(name) ? name : 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  const checkAfter = async (req: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const raw = (req.query as Record<string, unknown>).after;
    if (raw === undefined) return;
    if (typeof raw !== 'string' || !/^[0-9]{1,15}$/.test(raw)) {
      const e = BulwarkError.field('after', `${JSON.stringify(raw)} is not an event id; give a whole number of 0 or more, or leave it out to start from now`);
      return sendError(reply, e);
    }
    // Resuming past the newest event would wait, silently, for ids this database may never
    // reach (a client of another data dir, or of one restored from an older backup).
    const newest = core.lastEventId();
    if (Number(raw) > newest) {
      return sendError(reply, BulwarkError.field('after', `${raw} is past the newest event (${newest}); resume from an event id you have seen, or leave it out to start from now`));
    }
  };

  app.get('/api/v1/events', { websocket: true, preValidation: checkAfter }, (socket: WebSocket, req) => {
    const after = Number((req.query as Record<string, string>).after ?? NaN);
    const send = (m: StreamMessage) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
    };
    // Subscribe first, then replay: nothing committed in between can be missed; duplicates are skipped.
    let lastSent = Number.isFinite(after) && after >= 0 ? after : core.lastEventId();
    const buffered: StreamMessage[] = [];
    let replaying = true;
    const unsubscribe = core.onDidEvent((event) => {
      const m: StreamMessage = { type: 'event', event };
      if (replaying) buffered.push(m);
      else if (event.id > lastSent) {
        lastSent = event.id;
        send(m);
      }
    });
    socket.on('close', unsubscribe);
    socket.on('error', unsubscribe);
    void (async () => {
      for (;;) {
        const page = (await core.call('events.list', { after: lastSent, limit: 1000 }, { actor: 'stream' })) as { id: number }[];
        for (const event of page) send({ type: 'event', event } as StreamMessage);
        if (page.length > 0) lastSent = page.at(-1)!.id;
        if (page.length < 1000) break;
      }
      replaying = false;
      for (const m of buffered) if (m.type === 'event' && m.event.id > lastSent) {
        lastSent = m.event.id;
        send(m);
      }
      send({ type: 'ready', lastId: lastSent });
      // ?topology=1 (the UI): the topology now, then each new revision.
      if ((req.query as Record<string, string>).topology === '1' && socket.readyState === socket.OPEN) {
        const stop = core.onDidChangeTopology((topology) => send({ type: 'topology', topology }));
        socket.on('close', stop);
        socket.on('error', stop);
        send({ type: 'topology', topology: (await core.call('topology.get', {}, { actor: 'stream' })) as Topology });
      }
    })().catch((err) => {
      req.log.error({ err }, 'event replay failed');
      socket.close(1011, 'event replay failed');
    });
  });

  // An exported bundle or a backup, once: each holds secrets, so it is removed once delivered.
  for (const kind of DOWNLOAD_KINDS) {
    const source = core.downloads[kind];
    app.get<{ Params: { id: string } }>(`/api/v1/${kind}/:id`, async (req, reply) => {
      const { id } = req.params;
      const file = source.file(id);
      if (!file) return sendError(reply, new BulwarkError('not_found', source.missing(id)));
      reply.raw.once('finish', () => source.discard(id));
      return reply
        .header('content-type', source.contentType)
        .header('content-length', file.size)
        .header('content-disposition', `attachment; filename="${source.fileName(id)}"`)
        .header('cache-control', 'no-store')
        .send(createReadStream(file.path));
    });
  }

  app.post<{ Params: { procedure: string } }>('/api/v1/:procedure', async (req) => {
    const output = await core.call(req.params.procedure, req.body, callerOf(req, opts.tls ? 'https' : 'http'));
    return { data: output };
  });

  if (opts.uiDir && existsSync(join(opts.uiDir, 'index.html'))) {
    // The build's asset URLs are relative (./assets/…), which a file:// page in Electron needs;
    // served, a page has a path of its own (/locations/hq), so they are made absolute here.
    const indexHtml = readFileSync(join(opts.uiDir, 'index.html'), 'utf8').replaceAll('"./assets/', '"/assets/');
    // Source maps carry the renderer's whole source; the UI needs none of them, so none is served.
    await app.register(fastifyStatic, { root: opts.uiDir, prefix: '/', index: false, wildcard: false, allowedPath: (path) => !path.endsWith('.map') });
    const sendIndex = async (_req: FastifyRequest, reply: import('fastify').FastifyReply) =>
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(indexHtml);
    app.get('/', sendIndex);
    app.setNotFoundHandler((req, reply) => {
      // Every page's URL is the app's (a reload on /locations/hq stays there); names may hold dots.
      if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/assets/')) return sendIndex(req, reply);
      const e = new BulwarkError('not_found', `nothing at ${req.method} ${req.url.split('?')[0]}; the API lives under POST /api/v1/<procedure>`);
      return sendError(reply, e);
    });
  } else {
    app.setNotFoundHandler((req, reply) => {
      const e = new BulwarkError('not_found', `nothing at ${req.method} ${req.url.split('?')[0]}; the API lives under POST /api/v1/<procedure>`);
      return sendError(reply, e);
    });
  }

  // Upgrade requests refused before the handshake (401) are not tracked by fastify's own
  // connection closing, and would hold close() open: track every socket ourselves.
  const sockets = new Set<import('node:net').Socket>();
  app.server.on('connection', (s: import('node:net').Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = new URL(address);
  // fastify reports the first address it bound; report the one asked for, with the real port.
  return {
    url: `${url.protocol}//${bracketHost(opts.host)}:${url.port}`,
    app,
    close: async () => {
      for (const client of app.websocketServer?.clients ?? []) client.terminate();
      const closing = app.close();
      for (const s of sockets) s.destroy();
      await closing;
    },
  };
}
