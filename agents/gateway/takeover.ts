// What a takeover cost the clients, measured by the new master itself: from the moment the
// floating IP was on this host to each client's completed fresh handshake (the clients it
// started handshakes with). The report goes to Core and is kept on disk until Core has it, so a
// takeover while Core is away still reaches the location's failover history.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AgentTakeover, TAKEOVER_WATCH_MS } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import type { CoreLink } from './context.js';

/** Reports kept at most (the oldest go first): a gateway flapping for days must not fill its disk. */
const KEEP = 50;
const MISSING_LISTED = 200;

/**
 * The report from what was watched: each client's completed handshake (ms since epoch) or none.
 * Pure. A handshake older than the address (a clock step) counts as 0 ms.
 */
export function takeoverReport(
  location: string,
  tookAtMs: number,
  addressAfterMs: number,
  handshakes: ReadonlyMap<string, number | null>,
  unreachable: number,
  id: string,
): AgentTakeover {
  const backMs: number[] = [];
  const missing: string[] = [];
  for (const [publicKey, at] of handshakes) {
    if (at === null) missing.push(publicKey);
    else backMs.push(Math.max(0, at - tookAtMs));
  }
  backMs.sort((a, b) => a - b);
  return {
    type: 'takeover',
    id,
    location,
    tookAt: new Date(tookAtMs).toISOString(),
    addressAfterMs: Math.max(0, Math.round(addressAfterMs)),
    clients: handshakes.size,
    backMs,
    missing: missing.sort().slice(0, MISSING_LISTED),
    unreachable,
  };
}

export interface WatchOptions {
  /** Every handshake time the interface knows: public key → ms since epoch (0: none yet). */
  read: () => Promise<ReadonlyMap<string, number>>;
  pollMs?: number;
  windowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Watches the clients' handshakes until each has completed one after `sinceMs` (their peers were
 * just re-created, so any handshake is a fresh one) or the window has passed. A failed read is
 * retried at the next poll.
 */
export async function watchHandshakes(keys: readonly string[], sinceMs: number, o: WatchOptions): Promise<Map<string, number | null>> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (o.windowMs ?? TAKEOVER_WATCH_MS);
  const back = new Map<string, number | null>(keys.map((k) => [k, null]));
  let waiting = keys.length;
  while (waiting > 0 && now() < deadline) {
    try {
      const seen = await o.read();
      for (const [key, at] of back) {
        const hs = seen.get(key) ?? 0;
        if (at === null && hs > 0 && hs >= sinceMs - 1000) {
          back.set(key, hs);
          waiting--;
        }
      }
    } catch (err) {
      log('cannot read the handshakes while watching a takeover', { error: (err as Error).message });
    }
    if (waiting > 0) await sleep(o.pollMs ?? 50);
  }
  return back;
}

export const takeoverId = (): string => randomBytes(9).toString('base64url');

/** The reports Core has not acknowledged yet, on disk across restarts. */
export class TakeoverReports {
  private pending: AgentTakeover[];

  constructor(
    private readonly file: string,
    private readonly core: CoreLink,
  ) {
    this.pending = TakeoverReports.read(file);
  }

  private static read(file: string): AgentTakeover[] {
    try {
      const saved: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return Array.isArray(saved) ? saved.flatMap((r) => (AgentTakeover.safeParse(r).success ? [AgentTakeover.parse(r)] : [])) : [];
    } catch {
      return []; // first start, or a damaged file: nothing pending
    }
  }

  add(report: AgentTakeover): void {
    this.pending = [...this.pending, report].slice(-KEEP);
    this.save();
    this.core.send(report);
  }

  acknowledged(ids: readonly string[]): void {
    const before = this.pending.length;
    this.pending = this.pending.filter((r) => !ids.includes(r.id));
    if (this.pending.length !== before) this.save();
  }

  /** On a new link: every report Core has not acknowledged, oldest first. */
  sendUnacknowledged(): void {
    for (const r of this.pending) this.core.send(r);
  }

  private save(): void {
    try {
      writeFileSync(`${this.file}.tmp`, JSON.stringify(this.pending), { mode: 0o600 });
      renameSync(`${this.file}.tmp`, this.file);
    } catch (err) {
      log('cannot save the takeover reports; they still go to Core while this agent runs', { error: (err as Error).message });
    }
  }
}
