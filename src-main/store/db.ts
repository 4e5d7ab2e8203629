// store/: the SQLite source of truth (better-sqlite3). Owns the schema, migrations and
// transactions. Imported by core/ services only; knows nothing of HTTP, IPC or Electron.
import Database from 'better-sqlite3';
import type { KnownEvent, NewEvent } from '../contract/index.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

type Param = string | number | bigint | Buffer | null;

/** A transaction handle: statements are prepared once per Store and cached. */
export interface Tx {
  get<T>(sql: string, ...params: Param[]): T | undefined;
  all<T>(sql: string, ...params: Param[]): T[];
  run(sql: string, ...params: Param[]): { changes: number; lastInsertRowid: number | bigint };
  /** Appends to the audit trail in this transaction; subscribers see it after commit. Only a known kind, with its details. */
  event(e: NewEvent): KnownEvent;
}

export interface StoreOptions {
  /** Time source for event rows. */
  now: () => Date;
  /** Who is making the changes of the current call. */
  actor?: () => string;
  /** The current call's transport and peer, as the server saw them. */
  origin?: () => string;
  /** Called when an onDidCommit listener throws; the commit stands. */
  onListenerError?: (err: unknown) => void;
}

export class Store {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly listeners = new Set<(events: KnownEvent[]) => void>();
  private pending: KnownEvent[] = [];
  private readonly tx: Tx;
  private readonly writeTx: <T>(fn: () => T) => T;
  private readonly nestedTx: <T>(fn: () => T) => T;
  private writing = false;
  private readonly readTx: <T>(fn: () => T) => T;

  private constructor(db: Database.Database, private readonly opts: StoreOptions) {
    this.db = db;
    this.tx = {
      get: (sql, ...p) => this.stmt(sql).get(...p) as never,
      all: (sql, ...p) => this.stmt(sql).all(...p) as never,
      run: (sql, ...p) => this.stmt(sql).run(...p),
      event: (e) => this.appendEvent(e),
    };
    const write = db.transaction((fn: () => unknown) => fn());
    const read = db.transaction((fn: () => unknown) => fn());
    this.writeTx = (fn) => write.immediate(fn) as never;
    // Inside a transaction better-sqlite3 runs a transaction function as a SAVEPOINT.
    this.nestedTx = (fn) => write(fn) as never;
    this.readTx = (fn) => read.deferred(fn) as never;
  }

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(file: string, opts: StoreOptions): Store {
    const db = new Database(file);
    // WAL: readers never block the writer. synchronous=NORMAL keeps every committed
    // transaction across a crash of this process (kill -9); only an OS crash or power
    // loss can drop the last commits, never corrupt the file.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const store = new Store(db, opts);
    store.migrate(MIGRATIONS);
    return store;
  }

  /** Whether the database answers a read and has every migration this Bulwark knows (GET /readyz). */
  readiness(): { ready: true; schema: number } | { ready: false; reason: string } {
    const known = MIGRATIONS.at(-1)?.version ?? 0;
    try {
      if (!this.db.open) return { ready: false, reason: 'the database is closed' };
      this.db.prepare('SELECT count(*) FROM sqlite_master').get();
      const schema = this.schemaVersion;
      return schema === known ? { ready: true, schema } : { ready: false, reason: `the database has schema ${schema}, not ${known}` };
    } catch (err) {
      return { ready: false, reason: `the database does not answer: ${(err as Error).message}` };
    }
  }

  /**
   * A consistent copy of the database in `path`, made with SQLite's online backup while this
   * store keeps serving: it copies a few pages at a time and gives the event loop back between
   * steps; a write meanwhile restarts it from the changed pages.
   */
  async backupTo(path: string): Promise<void> {
    await this.db.backup(path, { progress: () => 256 });
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  migrate(migrations: readonly Migration[]): void {
    const known = migrations.at(-1)?.version ?? 0;
    if (this.schemaVersion > known) {
      throw new Error(
        `the database ${this.db.name} has schema version ${this.schemaVersion}, newer than this Bulwark knows (${known}); upgrade Bulwark or use a backup`,
      );
    }
    for (const m of migrations) {
      if (m.version <= this.schemaVersion) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        m.rows?.(this.db);
        this.db.pragma(`user_version = ${m.version}`);
      }).immediate();
    }
  }

  /**
   * Runs fn in a write transaction (BEGIN IMMEDIATE): all of it commits, or none of it.
   * Called inside another write, it joins that one: the outer commit decides for both and
   * announces all their events.
   */
  write<T>(fn: (tx: Tx) => T): T {
    if (this.writing) {
      // A savepoint: if the inner write fails, its rows and events go, the outer one decides.
      const mark = this.pending.length;
      try {
        return this.nestedTx(() => fn(this.tx));
      } catch (err) {
        this.pending.length = mark;
        throw err;
      }
    }
    if (this.db.inTransaction) throw new Error('invariant failed: a write inside a read transaction');
    this.pending = [];
    this.writing = true;
    let result: T;
    try {
      result = this.writeTx(() => fn(this.tx));
    } catch (err) {
      this.pending = [];
      throw err;
    } finally {
      this.writing = false;
    }
    const committed = this.pending;
    this.pending = [];
    if (committed.length > 0) {
      for (const l of this.listeners) {
        // The change is stored: a failing listener must not turn it into an error for the caller.
        try {
          l(committed);
        } catch (err) {
          this.opts.onListenerError?.(err);
        }
      }
    }
    return result;
  }

  /** Runs fn in a read transaction: a consistent snapshot. */
  read<T>(fn: (tx: Tx) => T): T {
    return this.readTx(() => fn(this.tx));
  }

  /** Called with the events of each committed write, in order. */
  onDidCommit(listener: (events: KnownEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private appendEvent(e: NewEvent): KnownEvent {
    if (!this.db.inTransaction) throw new Error('invariant failed: events are written inside a write transaction');
    const time = this.opts.now().toISOString();
    const actor = this.opts.actor?.() ?? 'core';
    const origin = this.opts.origin?.() ?? '';
    const r = this.tx.run(
      'INSERT INTO events (time, actor, kind, subject, details, origin) VALUES (?, ?, ?, ?, ?, ?)',
      time,
      actor,
      e.kind,
      e.subject,
      JSON.stringify(e.details),
      origin,
    );
    const event: KnownEvent = { id: Number(r.lastInsertRowid), time, actor, origin, ...e };
    this.pending.push(event);
    return event;
  }
}
