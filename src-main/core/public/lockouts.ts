// Lockouts as an admin sees them: those in force, and clearing one early (a user who really
// mistyped and called the help desk).
import { BulwarkError, type Lockout } from '../../contract/index.js';
import type { Store } from '../../store/db.js';
import type { CorePorts } from '../ports.js';
import { currentActor } from '../context.js';

interface LockoutRow {
  id: number;
  kind: 'device' | 'address';
  subject: string;
  failures: number;
  locked_at: string;
  until: string;
  cleared_at: string | null;
}

const toLockout = (r: LockoutRow): Lockout => ({ id: r.id, kind: r.kind, subject: r.subject, failures: r.failures, lockedAt: r.locked_at, until: r.until });

export class LockoutService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  /** Lockouts in force now, newest first. */
  active(): Lockout[] {
    const now = this.ports.now().toISOString();
    return this.store.read((tx) => tx.all<LockoutRow>('SELECT * FROM lockouts WHERE cleared_at IS NULL AND until > ? ORDER BY id DESC LIMIT 500', now).map(toLockout));
  }

  clear(id: number): Lockout {
    const now = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const row = tx.get<LockoutRow>('SELECT * FROM lockouts WHERE id = ?', id);
      if (!row || row.cleared_at !== null || row.until <= now) throw BulwarkError.field('id', `no lockout ${id} is in force; see "bulwark status" for the current ones`, 'not_found');
      tx.run('UPDATE lockouts SET cleared_at = ?, cleared_by = ? WHERE id = ?', now, currentActor(), id);
      tx.event({ kind: 'mfa.unlocked', subject: `lockout:${row.kind}:${row.subject}`, details: { kind: row.kind, subject: row.subject } });
      return toLockout(row);
    });
  }
}
