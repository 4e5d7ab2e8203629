// The edge's side of the public calls: each goes to Core as a `request` on the control link
// (Core dialled in; the edge never opens a connection to Core) and waits for its `response`.
// Ready means the link is up and Core has sent the shared settings; an edge that is not ready
// answers 503 "cannot reach the control server", never "invalid token" (defguard proxy#80).
import { randomBytes } from 'node:crypto';
import { EDGE_CALLS, EdgeError, type CoreEdgeSettings, type CoreResponse, type EdgeCallName } from '../../src-main/contract/index.js';
import type { ControlLink } from '../shared/control.js';

export interface RelayReply {
  status: number;
  body: unknown;
}

export const unreachable = (message = 'The sign-up service cannot reach its control server right now. Your link is still valid; nothing is wrong on your side. Try again in a few minutes.'): RelayReply => ({
  status: 503,
  body: { error: { code: 'core_unreachable', message, field: null, retryAfterSeconds: 30 } } satisfies EdgeError,
});

export class CoreRelay {
  private link: ControlLink | null = null;
  private settings: CoreEdgeSettings | null = null;
  private readonly pending = new Map<string, { call: EdgeCallName; resolve: (r: RelayReply) => void; timer: NodeJS.Timeout }>();
  served = 0;
  failed = 0;

  /** The control link came up (welcomed) or went down (null). */
  setLink(link: ControlLink | null): void {
    this.link = link;
    if (link) return;
    // Ready again only once Core has sent the shared settings on the next link.
    this.settings = null;
    // Core may have done the call; the browser's retry carries the same idempotency key.
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve(unreachable('The control server stopped answering while your request was on its way. Try again: nothing is done twice.'));
    }
  }

  setSettings(s: CoreEdgeSettings): void {
    this.settings = s;
  }

  csrfKeys(): Buffer[] {
    return (this.settings?.csrfKeys ?? []).map((k) => Buffer.from(k, 'base64'));
  }

  /** Why the edge cannot take public requests, or null when it can. */
  notReady(): string | null {
    if (!this.link) return 'no link to Core';
    if (!this.settings) return 'Core has not sent the shared settings yet';
    return null;
  }

  inFlight(): number {
    return this.pending.size;
  }

  call(call: EdgeCallName, input: unknown, client: string, idempotencyKey: string | null, timeoutMs: number): Promise<RelayReply> {
    const link = this.link;
    if (!link || this.notReady()) return Promise.resolve(unreachable());
    const id = randomBytes(12).toString('base64url');
    return new Promise<RelayReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.failed += 1;
        resolve({ status: 504, body: { error: { code: 'timeout', message: 'The control server took too long to answer. Try again: nothing is done twice.', field: null, retryAfterSeconds: null } } satisfies EdgeError });
      }, timeoutMs);
      this.pending.set(id, { call, resolve, timer });
      link.send({ type: 'request', id, call, input, timeoutMs, client, idempotencyKey });
    });
  }

  /** Core's answer: checked against the call's output (or the error shape) before it reaches a browser. */
  response(msg: CoreResponse): void {
    const p = this.pending.get(msg.id);
    if (!p) return; // answered already (timed out, or the link dropped)
    clearTimeout(p.timer);
    this.pending.delete(msg.id);
    const ok = msg.status === 200 ? EDGE_CALLS[p.call].output.safeParse(msg.body).success : EdgeError.safeParse(msg.body).success;
    if (ok) this.served += 1;
    else this.failed += 1;
    p.resolve(
      ok
        ? { status: msg.status, body: msg.body }
        : { status: 502, body: { error: { code: 'internal', message: 'The control server sent an answer this edge does not understand (are both at the same version?). Tell your administrator.', field: null, retryAfterSeconds: null } } satisfies EdgeError },
    );
  }
}
