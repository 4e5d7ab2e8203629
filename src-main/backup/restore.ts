// `bulwark restore`: a backup brought back into a new data dir, on this machine, with no server
// running: the database (checked whole by SQLite before it gets its name), the secret key and
// the token, each written 0600 and only where nothing is yet. Then "bulwark serve" on that
// data dir is the same Core: the same CA, so the agents accept it.
import { X509Certificate } from 'node:crypto';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BulwarkError, type BackupHeader } from '../contract/index.js';
import { ensureDataDir, readOrCreateSecret } from '../platform/data-dir.js';
import { MIGRATIONS } from '../store/migrations/index.js';
import { openBackupFile } from './backup-file.js';

export interface Restored {
  header: BackupHeader;
  dataDir: string;
  counts: { locations: number; devices: number; hosts: number; events: number };
  /** The CA certificate's SHA-256 fingerprint: the agents trust this one. */
  ca: string | null;
  token: boolean;
}

export function restoreBackup(file: Buffer, passphrase: string, dataDir: string): Restored {
  const { header, parts } = openBackupFile(file, passphrase);
  const known = MIGRATIONS.at(-1)!.version;
  if (header.schema > known) {
    throw BulwarkError.field('file', `the backup was made by Bulwark ${header.bulwarkVersion}, whose database (schema ${header.schema}) is newer than this Bulwark knows (${known}); restore it with that version or a later one`);
  }
  const paths = ensureDataDir(dataDir);
  if ([paths.db, `${paths.db}-wal`, paths.masterKey, paths.token].some((p) => existsSync(p))) {
    throw BulwarkError.field('dataDir', `${paths.dir} holds a Core already; restore into a new, empty directory (a restore never overwrites one)`);
  }
  // Nothing of a Core is here yet; whatever this writes is taken away again if it fails, so a
  // failed restore leaves no half of one (a key without its database would start a new Core).
  const staged = `${paths.db}.restoring`;
  const written = [staged];
  const undo = () => written.forEach((f) => rmSync(f, { force: true }));
  rmSync(staged, { force: true });
  writeFileSync(staged, parts.get('bulwark.db')!, { mode: 0o600, flag: 'wx' });
  let counts: Restored['counts'];
  let ca: string | null;
  try {
    const check = new Database(staged, { readonly: true });
    try {
      const ok = check.pragma('integrity_check', { simple: true });
      if (ok !== 'ok') throw BulwarkError.field('file', `the backup's database fails SQLite's integrity check (${String(ok)}); use another backup`);
      const n = (t: string) => (check.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      counts = { locations: n('locations'), devices: n('devices'), hosts: n('hosts'), events: n('events') };
      const pem = (check.prepare('SELECT cert_pem FROM ca').get() as { cert_pem: string } | undefined)?.cert_pem;
      ca = pem ? new X509Certificate(pem).fingerprint256 : null;
    } finally {
      check.close();
    }
  } catch (err) {
    undo();
    throw err;
  }
  const token = parts.get('token');
  try {
    written.push(paths.masterKey);
    readOrCreateSecret(paths.masterKey, () => parts.get('secret.key')!, paths.dir);
    if (token) {
      written.push(paths.token);
      readOrCreateSecret(paths.token, () => token, paths.dir);
    }
    // Last: the database gets its name only once its key is in place.
    renameSync(staged, paths.db);
  } catch (err) {
    undo();
    throw err;
  }
  return { header, dataDir: paths.dir, counts, ca, token: token !== undefined };
}
