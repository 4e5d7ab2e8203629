// The data dir's lock: one Core (headless or desktop) per data dir.
import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { BulwarkError } from '../contract/index.js';
import type { DataDirPaths } from './data-dir.js';

/** Data dirs locked by this process. */
const heldHere = new Set<string>();

/**
 * One server per data dir: a second one would fight over the database and server.json.
 * The lock is SQLite's own exclusive file lock (fcntl) on serve.lock, held while the
 * process lives: the kernel drops it when the process dies, however it dies, so there is
 * no stale lock to take over and no race between two servers starting at once.
 */
export function lockDataDir(paths: DataDirPaths): () => void {
  const busy = () => {
    let pid = '';
    try {
      pid = ` (pid ${(JSON.parse(readFileSync(paths.server, 'utf8')) as { pid: number }).pid})`;
    } catch {
      // server.json not written yet: the other server is still starting.
    }
    return new BulwarkError('in_use', `another "bulwark serve" or Bulwark app${pid} is using ${paths.dir}; stop it first, or use another --data-dir`);
  };
  if (heldHere.has(paths.lock)) throw busy();
  const open = () => {
    const db = new Database(paths.lock, { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  };
  let db: Database.Database;
  try {
    db = open();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY') throw busy();
    if (code !== 'SQLITE_NOTADB') throw err;
    // Not a lock we made (a stray file of that name): nobody can hold it, so replace it.
    rmSync(paths.lock, { force: true });
    db = open();
  }
  heldHere.add(paths.lock);
  return () => {
    heldHere.delete(paths.lock);
    db.close();
  };
}

