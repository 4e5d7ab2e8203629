// Core's side of a backup (core.backup): an online snapshot of the database with SQLite's
// backup API while Core keeps serving, sealed with the secret key and the token into one file
// that the client downloads once (GET /api/v1/backups/<id>). The passphrase is never stored.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { VERSION, type ProcOutput } from '../contract/index.js';
import { OnceDownloads } from '../platform/once-downloads.js';
import type { Store } from '../store/db.js';
import { newEncryptionAsync } from '../bundle-format/sealing.js';
import { writeBackupFile } from './backup-file.js';

export class BackupService {
  private readonly downloads: OnceDownloads;

  constructor(
    private readonly store: Store,
    private readonly secrets: { masterKey: Buffer; token: string | undefined },
    private readonly now: () => Date,
    /** The data dir's backups/ directory. */
    dir: string,
  ) {
    this.downloads = new OnceDownloads(dir, '.bulwark-backup', '.snapshot-');
  }

  file(id: string) {
    return this.downloads.file(id);
  }

  discard(id: string): void {
    this.downloads.discard(id);
  }

  async make(passphrase: string): Promise<ProcOutput<'core.backup'>> {
    this.downloads.sweep();
    const id = randomUUID();
    const out = this.downloads.pathFor(id);
    const snapshot = `${this.downloads.dir}/.snapshot-${id}.db`;
    try {
      const started = performance.now();
      await this.store.backupTo(snapshot);
      const snapshotMs = performance.now() - started;
      const db = readFileSync(snapshot);
      const counts = countsOf(snapshot);
      const createdAt = this.now().toISOString();
      const parts = [
        { name: 'bulwark.db' as const, data: db },
        { name: 'secret.key' as const, data: this.secrets.masterKey },
        ...(this.secrets.token !== undefined ? [{ name: 'token' as const, data: Buffer.from(this.secrets.token) }] : []),
      ];
      // scrypt in the thread pool: Core's event loop keeps answering meanwhile.
      const file = writeBackupFile({ id, createdAt, bulwarkVersion: VERSION, schema: counts.schema }, await newEncryptionAsync(passphrase), parts);
      writeFileSync(out, file, { mode: 0o600 });
      this.store.write((tx) => tx.event({ kind: 'core.backed_up', subject: 'core', details: { id, size: file.length, schema: counts.schema } }));
      return { id, fileName: `bulwark-backup-${createdAt.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.bulwark-backup`, size: file.length, createdAt, schema: counts.schema, counts: counts.rows, snapshotMs };
    } finally {
      rmSync(snapshot, { force: true });
    }
  }
}

/** What the snapshot holds, read from the snapshot itself. */
function countsOf(path: string): { schema: number; rows: ProcOutput<'core.backup'>['counts'] } {
  const db = new Database(path, { readonly: true });
  try {
    const n = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { schema: db.pragma('user_version', { simple: true }) as number, rows: { locations: n('locations'), devices: n('devices'), hosts: n('hosts'), events: n('events') } };
  } finally {
    db.close();
  }
}
