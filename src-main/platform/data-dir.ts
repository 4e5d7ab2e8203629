// The data dir: bulwark.db, the API token, the master key and the running server's address.
// Created with mode 0700; every secret file 0600, written once with O_EXCL.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { BulwarkError } from '../contract/index.js';

export interface DataDirPaths {
  dir: string;
  db: string;
  token: string;
  masterKey: string;
  /** Written by a running `bulwark serve`: its URL and pid, for the CLI to find it. */
  server: string;
  lock: string;
}

export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flag ?? env.BULWARK_DATA_DIR ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'bulwark');
  return resolve(dir);
}

export function dataDirPaths(dir: string): DataDirPaths {
  return {
    dir,
    db: join(dir, 'bulwark.db'),
    token: join(dir, 'token'),
    masterKey: join(dir, 'secret.key'),
    server: join(dir, 'server.json'),
    lock: join(dir, 'serve.lock'),
  };
}

/** Creates the dir (0700) or checks that an existing one is private to its owner. */
export function ensureDataDir(dir: string): DataDirPaths {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new BulwarkError('invalid_input', `--data-dir: cannot create ${dir}: ${(err as Error).message}; choose a writable directory`, { field: 'dataDir', cause: err });
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new BulwarkError('invalid_input', `--data-dir: ${dir} is not a directory; choose a directory`, { field: 'dataDir' });
  if ((st.mode & 0o077) !== 0) {
    throw new BulwarkError(
      'invalid_input',
      `--data-dir: ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); it holds keys, so run "chmod 700 ${dir}" or choose another directory`,
      { field: 'dataDir' },
    );
  }
  return dataDirPaths(dir);
}

/** Reads a secret file, creating it with `make()` (mode 0600) if it does not exist yet. */
export function readOrCreateSecret(path: string, make: () => Buffer): Buffer {
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, make());
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o600);
  return readFileSync(path);
}

const MIN_TOKEN_LENGTH = 32;

export function loadToken(paths: DataDirPaths): string {
  const token = readOrCreateSecret(paths.token, () => Buffer.from(randomBytes(32).toString('base64url'))).toString('utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new BulwarkError('data_dir_damaged', `${paths.token} is damaged (it must hold at least ${MIN_TOKEN_LENGTH} base64url characters); delete it and start again to make a new token`);
  }
  return token;
}

export function loadMasterKey(paths: DataDirPaths): Buffer {
  // A database without its key is a database whose location keys can never be opened again:
  // refuse rather than make a new key that silently orphans them.
  if (existsSync(paths.db) && !existsSync(paths.masterKey)) {
    throw new BulwarkError(
      'data_dir_damaged',
      `${paths.masterKey} is missing but ${paths.db} exists; restore secret.key from the backup you took with the database (without it the WireGuard keys in the database cannot be opened)`,
    );
  }
  const key = readOrCreateSecret(paths.masterKey, () => randomBytes(32));
  if (key.length !== 32) throw new BulwarkError('data_dir_damaged', `${paths.masterKey} is damaged (expected 32 bytes, found ${key.length}); restore it from a backup`);
  return key;
}

export interface ServerInfo {
  url: string;
  pid: number;
}

/** Atomic write (temp file + rename), mode 0600. */
export function writeServerInfo(paths: DataDirPaths, info: ServerInfo): void {
  const tmp = `${paths.server}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  renameSync(tmp, paths.server);
}
