// The HTTP + WebSocket client of the contract, used by the CLI (and by tests).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import {
  BulwarkError,
  ErrorBody,
  StreamMessage,
  type ContractClient,
  type DownloadKind,
  type ProcInput,
  type ProcOutput,
  type ProcedureName,
} from '../../contract/index.js';
import { pinnedConnection, type Pin } from './pinned-tls.js';
import { WS_PROTOCOL } from './protocol.js';

export interface HttpClientOptions {
  url: string;
  token: string;
  actor?: string;
  /** The server certificate's SHA-256 fingerprint: pinned instead of checked against CAs and names. */
  pin?: Pin;
}

/** TLS errors that mean the certificate was not trusted, as Node names them. */
const UNTRUSTED = /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** A failed connection, said as what to do about it: a server not running, or a certificate not trusted here. */
function unreachable(url: string, err: unknown): BulwarkError {
  if (err instanceof BulwarkError) return err;
  const e = err as NodeJS.ErrnoException & { errors?: { code?: string }[] };
  const cause = e.code ?? e.errors?.[0]?.code ?? e.message;
  if (UNTRUSTED.test(cause)) {
    return new BulwarkError(
      'unavailable',
      `the certificate of ${url} is not trusted here (${cause}); pin it with --fingerprint SHA256 (bulwark serve prints it when it starts), or trust its CA with NODE_EXTRA_CA_CERTS=FILE`,
      { cause: err },
    );
  }
  return new BulwarkError('unavailable', `cannot reach Bulwark at ${url} (${cause}); is "bulwark serve" running?`, { cause: err });
}

export class HttpClient implements ContractClient {
  constructor(private readonly opts: HttpClientOptions) {}

  get url(): string {
    return this.opts.url;
  }

  /** How to open the connection: pinned to the fingerprint over HTTPS when there is one. */
  private connection(url: URL): { createConnection?: ReturnType<typeof pinnedConnection>; defaultPort?: number } {
    // defaultPort: without an agent node:http would dial port 80 for an https URL with no port.
    return url.protocol === 'https:' && this.opts.pin !== undefined ? { createConnection: pinnedConnection(this.opts.pin), defaultPort: 443 } : {};
  }

  /**
   * One procedure call. node:http rather than fetch: fetch gives up waiting for response
   * headers after 300 s, and a provisioning run over many hosts may take longer than that.
   */
  async call<N extends ProcedureName>(name: N, input: ProcInput<N>): Promise<ProcOutput<N>> {
    const url = new URL(`${this.opts.url}/api/v1/${name}`);
    const payload = JSON.stringify(input ?? {});
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let res: { status: number; text: string };
    try {
      res = await new Promise((resolve, reject) => {
        const req = send(
          url,
          {
            method: 'POST',
            ...this.connection(url),
            headers: {
              authorization: `Bearer ${this.opts.token}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              'x-bulwark-actor': this.opts.actor ?? 'api',
            },
          },
          (r) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (d: string) => (text += d));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
            r.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    } catch (err) {
      throw unreachable(this.opts.url, err);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new BulwarkError('internal', `${this.opts.url} answered ${res.status} with a body that is not JSON; is it a Bulwark server?`);
    }
    if (res.status < 200 || res.status >= 300) {
      const err = ErrorBody.safeParse((body as { error?: unknown }).error);
      if (err.success) throw BulwarkError.fromBody(err.data);
      throw new BulwarkError('internal', `${this.opts.url} answered ${res.status} without a Bulwark error body`);
    }
    return (body as { data: ProcOutput<N> }).data;
  }

  /**
   * Streams an exported bundle or a backup (GET /api/v1/bundles/<id>, /api/v1/backups/<id>)
   * into `write`, which gets each chunk; resolves with the byte count once the whole file arrived.
   */
  async download(kind: DownloadKind, id: string, write: (chunk: Buffer) => void): Promise<number> {
    const what = kind === 'bundles' ? 'bundle' : 'backup';
    const url = new URL(`${this.opts.url}/api/v1/${kind}/${encodeURIComponent(id)}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: 'GET', ...this.connection(url), headers: { authorization: `Bearer ${this.opts.token}`, 'x-bulwark-actor': this.opts.actor ?? 'api' } }, (r) => {
        if (r.statusCode !== 200) {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (d: string) => (text += d));
          r.on('end', () => {
            try {
              const err = ErrorBody.safeParse((JSON.parse(text) as { error?: unknown }).error);
              if (err.success) return reject(BulwarkError.fromBody(err.data));
            } catch {
              // not JSON: said below
            }
            reject(new BulwarkError('internal', `${this.opts.url} answered ${r.statusCode} to the ${what} download`));
          });
          return;
        }
        const expected = Number(r.headers['content-length'] ?? NaN);
        let n = 0;
        r.on('data', (d: Buffer) => {
          n += d.length;
          write(d);
        });
        r.on('end', () => (Number.isFinite(expected) && n !== expected ? reject(new BulwarkError('unavailable', `the ${what} download stopped after ${n} of ${expected} bytes; make it again`)) : resolve(n)));
        r.on('error', reject);
      });
      req.on('error', (err) => reject(unreachable(this.opts.url, err)));
      req.end();
    });
  }

  /** Opens the event stream; resolves once the server has replayed everything after `after`. */
  subscribe(onMessage: (m: StreamMessage) => void, after?: number): Promise<{ close(): void; closed: Promise<void> }> {
    const wsUrl = `${this.opts.url.replace(/^http/, 'ws')}/api/v1/events${after === undefined ? '' : `?after=${after}`}`;
    // ws hands createConnection to node:http as it is; its type says net's.
    const pinned = this.connection(new URL(this.opts.url)) as { createConnection?: never };
    const ws = new WebSocket(wsUrl, [WS_PROTOCOL], { headers: { authorization: `Bearer ${this.opts.token}` }, ...pinned });
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    return new Promise((resolve, reject) => {
      ws.on('unexpected-response', (req, res) => {
        req.destroy();
        reject(new BulwarkError(res.statusCode === 401 ? 'unauthorized' : 'unavailable', `event stream refused with HTTP ${res.statusCode}`));
      });
      ws.on('error', (err) => reject(err instanceof BulwarkError ? err : new BulwarkError('unavailable', `event stream at ${wsUrl} failed: ${err.message}`)));
      ws.on('message', (data) => {
        const m = StreamMessage.parse(JSON.parse(String(data)));
        onMessage(m);
        if (m.type === 'ready') resolve({ close: () => ws.close(), closed });
      });
    });
  }
}
