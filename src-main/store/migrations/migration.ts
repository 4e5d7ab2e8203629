// The shape of one numbered migration. Its own module, so the migrations and the list that
// orders them (index.ts) do not import each other.
import type { Database } from 'better-sqlite3';

export interface Migration {
  /** The schema version (SQLite user_version) this migration brings the database to; one more than the last. */
  version: number;
  /** A short kebab-case name, for people reading the list. */
  name: string;
  /** The SQL it runs, in the migration's own transaction. */
  sql: string;
  /** Changes to rows that SQL cannot express (Unicode normalisation), run after `sql` in the same transaction. */
  rows?: (db: Database) => void;
}
