// Wrong codes and unknown tokens are counted here, in Core, per device and per client address,
// so the limit holds however many edges relay the attempts (defguard's edges count each on its
// own, so N edges allow N times the limit). Counting is in memory (one Core); a lockout is a
// row and an event, so it shows in `bulwark status` and survives a restart of Core.
import { isIP } from 'node:net';
import { parseIPv6 } from '../../net/ip.js';
import type { Tx } from '../../store/db.js';

/** Subjects counted in memory at most; past it the oldest go first (an attacker with many addresses cannot grow Core without bound). */
const MAX_COUNTED = 20_000;

/**
 * The subject a client address is counted as: the address for IPv4, its /64 for IPv6 (one
 * host gets a whole /64, so counting single IPv6 addresses would let it try 2^64 times).
 */
export function addressSubject(client: string): string {
  if (isIP(client) !== 6) return client;
  const v = parseIPv6(client);
  if (v === null) return client;
  const groups = Array.from({ length: 4 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}

export interface LimitPolicy {
  /** Failures within windowMs that lock the subject. */
  failures: number;
  windowMs: number;
  /** How long a lockout lasts. */
  lockMs: number;
}

/** A device: 5 wrong codes in 15 minutes lock it for 15 minutes (a real user mistypes a few times; a guesser needs ~10^5 tries per code). */
export const DEVICE_LIMIT: LimitPolicy = { failures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
/** A client address: 20 wrong codes or unknown tokens in 15 minutes lock it (several people may share one NAT address). */
export const ADDRESS_LIMIT: LimitPolicy = { failures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export type LockKind = 'device' | 'address';

export interface ActiveLock {
  id: number;
  until: string;
  retryAfterSeconds: number;
}

export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly policies: Record<LockKind, LimitPolicy> = { device: DEVICE_LIMIT, address: ADDRESS_LIMIT }) {}

  /** The lockout in force for the subject, if any. */
  locked(tx: Tx, kind: LockKind, who: string, nowMs: number): ActiveLock | null {
    const subject = kind === 'address' ? addressSubject(who) : who;
    const row = tx.get<{ id: number; until: string }>(
      'SELECT id, until FROM lockouts WHERE kind = ? AND subject = ? AND cleared_at IS NULL AND until > ? ORDER BY until DESC LIMIT 1',
      kind,
      subject,
      new Date(nowMs).toISOString(),
    );
    return row ? { id: row.id, until: row.until, retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(row.until) - nowMs) / 1000)) } : null;
  }

  /** Counts a failure; at the limit, locks the subject in this transaction (a row and an event). Returns the new lock, if any. */
  fail(tx: Tx, kind: LockKind, who: string, nowMs: number): ActiveLock | null {
    const subject = kind === 'address' ? addressSubject(who) : who;
    const policy = this.policies[kind];
    const key = `${kind}:${subject}`;
    const recent = (this.failures.get(key) ?? []).filter((t) => t > nowMs - policy.windowMs);
    recent.push(nowMs);
    // Re-inserted, so the map's order is oldest activity first.
    this.failures.delete(key);
    this.failures.set(key, recent);
    this.prune();
    if (recent.length < policy.failures) return null;
    this.failures.delete(key);
    const lockedAt = new Date(nowMs).toISOString();
    const until = new Date(nowMs + policy.lockMs).toISOString();
    const r = tx.run('INSERT INTO lockouts (kind, subject, failures, locked_at, until) VALUES (?, ?, ?, ?, ?)', kind, subject, recent.length, lockedAt, until);
    tx.event({ kind: 'mfa.locked', subject: `lockout:${kind}:${subject}`, details: { kind, subject, failures: recent.length, until } });
    return { id: Number(r.lastInsertRowid), until, retryAfterSeconds: Math.ceil(policy.lockMs / 1000) };
  }

  /** A success forgets the subject's failures. */
  succeed(kind: LockKind, subject: string): void {
    this.failures.delete(`${kind}:${subject}`);
  }

  /** Keeps the map bounded under a spray of addresses: the least recently failing go first. */
  private prune(): void {
    for (const k of this.failures.keys()) {
      if (this.failures.size <= MAX_COUNTED) break;
      this.failures.delete(k);
    }
  }
}
