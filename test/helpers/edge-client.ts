// A browser's part of the public API, for tests and benches: GET /api/v1/csrf once (token and
// cookie), then POST calls with the token, the cookie and an idempotency key. It speaks HTTPS
// to an edge or to the edge balancer; certificates are from the test's CA and not checked.
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { CSRF_COOKIE, CSRF_HEADER, EDGE_CALLS, IDEMPOTENCY_HEADER, type EdgeCallName } from '../../src-main/contract/index.js';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

export function httpsCall(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawReply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || 443, path: url.pathname + url.search, method: init.method ?? 'GET', headers: init.headers, rejectUnauthorized: false, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${base}${path} within 30 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

export class PublicClient {
  private csrf: string | null = null;

  constructor(
    readonly base: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async token(): Promise<string> {
    if (this.csrf) return this.csrf;
    const r = await httpsCall(this.base, '/api/v1/csrf', { headers: this.extraHeaders });
    if (r.status !== 200) throw new Error(`csrf: HTTP ${r.status} ${r.text}`);
    this.csrf = (r.json() as { token: string }).token;
    return this.csrf;
  }

  /** The headers a page sends with a POST. */
  async headers(call: EdgeCallName, idempotencyKey: string | null = null): Promise<Record<string, string>> {
    const t = await this.token();
    const key = idempotencyKey ?? randomBytes(16).toString('base64url');
    return {
      'content-type': 'application/json',
      [CSRF_HEADER]: t,
      cookie: `${CSRF_COOKIE}=${t}`,
      ...(EDGE_CALLS[call].mutates ? { [IDEMPOTENCY_HEADER]: key } : {}),
      ...this.extraHeaders,
    };
  }

  async call(call: EdgeCallName, input: unknown, opts: { idempotencyKey?: string; headers?: Record<string, string> } = {}): Promise<RawReply> {
    const headers = { ...(await this.headers(call, opts.idempotencyKey ?? null)), ...opts.headers };
    return httpsCall(this.base, `/api/v1/${call}`, { method: 'POST', headers, body: JSON.stringify(input) });
  }
}
