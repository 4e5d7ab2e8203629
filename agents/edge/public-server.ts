// The edge's public HTTPS listener: the pages, the public API, and the two health endpoints the
// edge balancer uses (/healthz: the process answers; /readyz: it can take public requests, so
// an edge that lost Core leaves the rotation). Every answer carries a strict CSP (no inline
// script), HSTS, frame-ancestors 'none' and no referrer. A POST is checked here before Core
// sees it: JSON of at most 16 KiB, the call's input schema, the CSRF token, the idempotency key,
// and who the client is. Nothing here keeps state of its own: any edge answers any request.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CSRF_COOKIE, CSRF_HEADER, EDGE_CALLS, EDGE_ERRORS, EDGE_REQUEST_MAX_MS, IDEMPOTENCY_HEADER, IdempotencyKey, isEdgeCallName, type EdgeError, type EdgeErrorCode } from '../../src-main/contract/index.js';
import { renderUnavailablePage } from '../../src-main/config-gen/haproxy/unavailable-page.js';
import { checkCsrfToken, cookieValue, CSRF_MAX_AGE_S, makeCsrfToken } from './csrf.js';
import { clientAddress } from './client-address.js';
import { unreachable, type CoreRelay, type RelayReply } from './core-relay.js';

export interface Asset {
  contentType: string;
  body: string;
}

export interface PublicServerOptions {
  address: string;
  port: number;
  tls: () => { cert: Buffer; key: Buffer };
  trustedProxies: string[];
  relay: CoreRelay;
  /** URL path → page or asset (agents/edge/web, built into the agent). "/connect" serves every /connect/<id>. */
  assets: Record<string, Asset>;
  log: (message: string, fields?: Record<string, unknown>) => void;
}

export const MAX_BODY_BYTES = 16 * 1024;
/** Public calls wait for Core at most this long; a connect waits for the gateways within it. */
export const CALL_TIMEOUT_MS = 15_000;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'strict-transport-security': 'max-age=31536000',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};
const PAGES = new Set(['/', '/enroll', '/connect']);

const edgeError = (code: EdgeErrorCode, message: string, field: string | null = null): RelayReply => ({
  status: EDGE_ERRORS[code],
  body: { error: { code, message, field, retryAfterSeconds: null } } satisfies EdgeError,
});

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

const sendJson = (res: ServerResponse, r: RelayReply, extra: Record<string, string> = {}) => send(res, r.status, 'application/json; charset=utf-8', JSON.stringify(r.body), extra);

/** Reads at most MAX_BODY_BYTES; null when the body is larger (the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.pause();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function startPublicServer(o: PublicServerOptions): Promise<{ stop: () => Promise<void>; reloadTls: () => void; server: Server }> {
  const trusted = new Set(o.trustedProxies);
  const server = createServer({ ...o.tls(), minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      o.log('public request failed', { error: err.message });
      if (!res.headersSent) sendJson(res, edgeError('internal', 'Something went wrong on this server. Try again.'));
      else res.destroy();
    });
  });
  // Longer than the balancer keeps idle connections, so the edge never closes one the balancer is about to reuse.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 20_000;
  server.requestTimeout = EDGE_REQUEST_MAX_MS + 5_000;
  server.on('tlsClientError', () => undefined);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://edge.invalid');
    const path = url.pathname;
    if (path === '/healthz') return sendJson(res, { status: 200, body: { ok: true } });
    if (path === '/readyz') {
      const why = o.relay.notReady();
      return sendJson(res, { status: why ? 503 : 200, body: { ready: why === null, reason: why } });
    }
    if (path.startsWith('/api/v1/')) return api(req, res, path.slice('/api/v1/'.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Only GET here.\n', { allow: 'GET, HEAD' });
    const key = /^\/connect\/[A-Za-z0-9_-]{1,64}$/.test(path) ? '/connect' : path;
    const asset = o.assets[key];
    if (!asset) return send(res, 404, 'text/plain; charset=utf-8', 'Not found. Open the link your administrator sent you.\n');
    // A page that would only fail is not shown while Core is away: the user gets the reason instead.
    if (PAGES.has(key) && key !== '/' && o.relay.notReady()) return send(res, 503, 'text/html; charset=utf-8', renderUnavailablePage(), { 'retry-after': '30' });
    return send(res, 200, asset.contentType, req.method === 'HEAD' ? '' : asset.body);
  }

  async function api(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const who = clientAddress(req.socket.remoteAddress, req.headers, trusted);
    if (!who.ok) return sendJson(res, edgeError('forwarded_untrusted', who.reason));
    if (name === 'csrf') {
      if (req.method !== 'GET') return sendJson(res, edgeError('method_not_allowed', 'Use GET for /api/v1/csrf.'), { allow: 'GET' });
      const key = o.relay.csrfKeys()[0];
      if (!key || o.relay.notReady()) return sendJson(res, unreachable());
      const token = makeCsrfToken(key, Date.now());
      return sendJson(res, { status: 200, body: { token } }, { 'set-cookie': `${CSRF_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=${CSRF_MAX_AGE_S}` });
    }
    if (!isEdgeCallName(name)) return sendJson(res, edgeError('not_found', `There is no call named ${JSON.stringify(name.slice(0, 40))}.`));
    if (req.method !== 'POST') return sendJson(res, edgeError('method_not_allowed', `Use POST for ${name}.`), { allow: 'POST' });
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') return sendJson(res, edgeError('unsupported_media_type', 'Send the request as JSON (content-type: application/json).'));
    const raw = await readBody(req);
    if (raw === null) return sendJson(res, edgeError('too_large', `The request is larger than ${MAX_BODY_BYTES / 1024} KiB; nothing this page sends is that large.`), { connection: 'close' });
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, edgeError('invalid_input', 'The request is not valid JSON.'));
    }
    const def = EDGE_CALLS[name];
    const parsed = def.input.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || null;
      return sendJson(res, edgeError('invalid_input', `${field ?? 'The request'}: ${issue?.message ?? 'is not what this call takes'}`, field));
    }
    if (o.relay.notReady()) return sendJson(res, unreachable());
    const header = req.headers[CSRF_HEADER];
    const token = typeof header === 'string' ? header : '';
    if (token === '' || token !== cookieValue(req.headers.cookie, CSRF_COOKIE) || !checkCsrfToken(o.relay.csrfKeys(), token, Date.now())) {
      return sendJson(res, edgeError('csrf', 'This page is out of date or was opened from another site. Reload it and try again.'));
    }
    let idempotencyKey: string | null = null;
    if (def.mutates) {
      const k = IdempotencyKey.safeParse(req.headers[IDEMPOTENCY_HEADER]);
      if (!k.success) return sendJson(res, edgeError('invalid_input', `The Idempotency-Key header ${k.error.issues[0]?.message ?? 'is missing'}.`, 'Idempotency-Key'));
      idempotencyKey = k.data;
    }
    const reply = await o.relay.call(name, parsed.data, who.client, idempotencyKey, CALL_TIMEOUT_MS);
    const extra: Record<string, string> = {};
    const retry = (reply.body as EdgeError).error?.retryAfterSeconds;
    if (reply.status === 429 || reply.status === 503) extra['retry-after'] = String(retry ?? 30);
    return sendJson(res, reply, extra);
  }

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${o.address}:${o.port} for the public service (${err.code}); another program holds the port`)));
    server.listen(o.port, o.address, () =>
      resolve({
        server,
        reloadTls: () => server.setSecureContext({ ...o.tls(), minVersion: 'TLSv1.2' }),
        // In-flight requests finish; idle kept-alive connections close at once.
        stop: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      }),
    );
  });
}
