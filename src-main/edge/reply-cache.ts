// Public calls that change something carry the browser's idempotency key. A balancer that
// retries a request on another edge (the first edge died before answering) must not enrol a
// device twice or burn a second code: the first answer is kept by key (24 hours) and given
// again. The same key with other input is refused. Only successes are kept: a refusal
// changed nothing, so its retry is simply done again (and nobody can fill the table with them).
import { createHash } from 'node:crypto';
import type { Store } from '../store/db.js';
import type { CorePorts } from '../core/ports.js';

export interface Reply {
  status: number;
  body: unknown;
}

const KEEP_MS = 24 * 3600_000;

export class ReplyCache {
  private readonly inflight = new Map<string, { inputSha256: string; reply: Promise<Reply> }>();
  private lastPurge = 0;

  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  async once(key: string, call: string, input: unknown, work: () => Promise<Reply>): Promise<Reply> {
    const inputSha256 = createHash('sha256').update(`${call}\n${JSON.stringify(input)}`).digest('hex');
    const conflict: Reply = {
      status: 409,
      body: { error: { code: 'conflict', message: 'This request repeats an earlier one with different content. Reload the page and try again.', field: null, retryAfterSeconds: null } },
    };
    const running = this.inflight.get(key);
    if (running) return running.inputSha256 === inputSha256 ? running.reply : conflict;
    const stored = this.store.read((tx) => tx.get<{ input_sha256: string; status: number; body: string }>('SELECT input_sha256, status, body FROM edge_replies WHERE idempotency_key = ?', key));
    if (stored) return stored.input_sha256 === inputSha256 ? { status: stored.status, body: JSON.parse(stored.body) } : conflict;
    const reply = work();
    this.inflight.set(key, { inputSha256, reply });
    try {
      const r = await reply;
      if (r.status === 200) this.keep(key, call, inputSha256, r);
      return r;
    } finally {
      this.inflight.delete(key);
    }
  }

  private keep(key: string, call: string, inputSha256: string, r: Reply): void {
    const now = this.ports.now();
    this.store.write((tx) => {
      tx.run('INSERT OR REPLACE INTO edge_replies (idempotency_key, call, input_sha256, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)', key, call, inputSha256, r.status, JSON.stringify(r.body), now.toISOString());
      if (now.getTime() - this.lastPurge > 3600_000) {
        this.lastPurge = now.getTime();
        tx.run('DELETE FROM edge_replies WHERE created_at < ?', new Date(now.getTime() - KEEP_MS).toISOString());
      }
    });
  }
}
