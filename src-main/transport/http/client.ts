// The HTTP + WebSocket client of the contract, used by the CLI (and by tests).
import WebSocket from 'ws';
import {
  BulwarkError,
  ErrorBody,
  StreamMessage,
  type ContractClient,
  type ProcInput,
  type ProcOutput,
  type ProcedureName,
} from '../../contract/index.js';
import { WS_PROTOCOL } from './protocol.js';

export interface HttpClientOptions {
  url: string;
  token: string;
  actor?: string;
}

export class HttpClient implements ContractClient {
  constructor(private readonly opts: HttpClientOptions) {}

  get url(): string {
    return this.opts.url;
  }

  async call<N extends ProcedureName>(name: N, input: ProcInput<N>): Promise<ProcOutput<N>> {
    let res: Response;
    try {
      res = await fetch(`${this.opts.url}/api/v1/${name}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          'content-type': 'application/json',
          'x-bulwark-actor': this.opts.actor ?? 'api',
        },
        body: JSON.stringify(input ?? {}),
      });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (err as Error).message;
      throw new BulwarkError('unavailable', `cannot reach Bulwark at ${this.opts.url} (${cause}); is "bulwark serve" running?`, { cause: err });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BulwarkError('internal', `${this.opts.url} answered ${res.status} with a body that is not JSON; is it a Bulwark server?`);
    }
    if (!res.ok) {
      const err = ErrorBody.safeParse((body as { error?: unknown }).error);
      if (err.success) throw BulwarkError.fromBody(err.data);
      throw new BulwarkError('internal', `${this.opts.url} answered ${res.status} without a Bulwark error body`);
    }
    return (body as { data: ProcOutput<N> }).data;
  }

  /** Opens the event stream; resolves once the server has replayed everything after `after`. */
  subscribe(onMessage: (m: StreamMessage) => void, after?: number): Promise<{ close(): void; closed: Promise<void> }> {
    const wsUrl = `${this.opts.url.replace(/^http/, 'ws')}/api/v1/events${after === undefined ? '' : `?after=${after}`}`;
    const ws = new WebSocket(wsUrl, [WS_PROTOCOL], { headers: { authorization: `Bearer ${this.opts.token}` } });
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    return new Promise((resolve, reject) => {
      ws.on('unexpected-response', (req, res) => {
        req.destroy();
        reject(new BulwarkError(res.statusCode === 401 ? 'unauthorized' : 'unavailable', `event stream refused with HTTP ${res.statusCode}`));
      });
      ws.on('error', (err) => reject(new BulwarkError('unavailable', `event stream at ${wsUrl} failed: ${err.message}`)));
      ws.on('message', (data) => {
        const m = StreamMessage.parse(JSON.parse(String(data)));
        onMessage(m);
        if (m.type === 'ready') resolve({ close: () => ws.close(), closed });
      });
    });
  }
}
