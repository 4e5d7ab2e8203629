// The data dir: bulwark.db, the API token, the master key and the running server's address.
// Created with mode 0700; every secret file 0600, written once with O_EXCL. Everything in it
// must belong to the user running Bulwark and no entry may be a symbolic link: a dir or file
// planted by another user could hand us their token, a known key or their server's address.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
  type Stats,
} from 'node:fs';
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

const dataDirError = (message: string) => new BulwarkError('invalid_input', `--data-dir: ${message}`, { field: 'dataDir' });

/** The user this process runs as; undefined where there are no uids (Windows). */
const myUid = (): number | undefined => process.getuid?.();

function checkOwner(path: string, st: Stats, dir: string): void {
  const uid = myUid();
  if (uid === undefined || st.uid === uid) return;
  throw dataDirError(
    `${path} belongs to uid ${st.uid}, not to the user running Bulwark (uid ${uid}); another user could have planted it, so Bulwark will not use it. ` +
      `If it is yours, run "chown -R ${uid} ${dir}"; otherwise remove it or choose another directory`,
  );
}

function symlinkError(path: string): BulwarkError {
  return dataDirError(`${path} is a symbolic link, and Bulwark follows no links inside its data dir; replace it with the file itself, or remove it to start again`);
}

/**
 * Checks an existing data dir: a directory, owned by this user, private (mode 0700), and every
 * entry in it owned by this user and not a symbolic link. Returns false when it does not exist.
 */
export function checkDataDir(dir: string): boolean {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw dataDirError(`cannot read ${dir} (${(err as NodeJS.ErrnoException).code}); choose a directory this user can read`);
  }
  if (!st.isDirectory()) throw dataDirError(`${dir} is not a directory; choose a directory`);
  checkOwner(dir, st, dir);
  if ((st.mode & 0o077) !== 0) {
    throw dataDirError(`${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}); it holds keys, so run "chmod 700 ${dir}" or choose another directory`);
  }
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const entry = lstatSync(path);
    if (entry.isSymbolicLink()) throw symlinkError(path);
    checkOwner(path, entry, dir);
  }
  return true;
}

/** Creates the dir (0700) or checks an existing one (see checkDataDir). */
export function ensureDataDir(dir: string): DataDirPaths {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new BulwarkError('invalid_input', `--data-dir: cannot create ${dir}: ${(err as Error).message}; choose a writable directory`, { field: 'dataDir', cause: err });
  }
  checkDataDir(dir);
  return dataDirPaths(dir);
}

/**
 * Reads a file of the data dir without following a link, and only if this user owns it.
 * Returns undefined when it does not exist.
 */
export function readDataDirFile(path: string, dir: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw symlinkError(path);
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw dataDirError(`${path} is not a regular file; remove it to start again`);
    checkOwner(path, st, dir);
    // A secret someone loosened: tighten the file we opened, never a path that may have moved.
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a secret file, creating it with `make()` (mode 0600) if it does not exist yet. */
export function readOrCreateSecret(path: string, make: () => Buffer, dir: string): Buffer {
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, make());
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const content = readDataDirFile(path, dir);
  if (content === undefined) throw new BulwarkError('data_dir_damaged', `${path} vanished while Bulwark was reading it; is another program cleaning ${dir}?`);
  return content;
}

const MIN_TOKEN_LENGTH = 32;

/**
 * Where the token and the secret key come from when not from the data dir: files another system
 * manages (a Kubernetes Secret mounted read-only), named by BULWARK_TOKEN_FILE and
 * BULWARK_SECRET_KEY_FILE. Such a file must be a regular file that others cannot read.
 */
export interface ExternalSecrets {
  tokenFile?: string | undefined;
  secretKeyFile?: string | undefined;
}

export function externalSecrets(env: NodeJS.ProcessEnv = process.env): ExternalSecrets {
  return { tokenFile: env.BULWARK_TOKEN_FILE || undefined, secretKeyFile: env.BULWARK_SECRET_KEY_FILE || undefined };
}

function readExternalSecret(path: string, variable: string): Buffer {
  const fail = (why: string) => new BulwarkError('invalid_input', `${variable}: ${path} ${why}`, { field: variable });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    throw fail(`cannot be read (${(err as NodeJS.ErrnoException).code}); give a file this user can read`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw fail('is not a regular file');
    if ((st.mode & 0o007) !== 0) throw fail(`can be read or written by every user (mode ${(st.mode & 0o777).toString(8)}); make it readable by its owner or group alone (a Kubernetes Secret: defaultMode 0440)`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function checkToken(token: string, where: string, fix: string): string {
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new BulwarkError('data_dir_damaged', `${where} is damaged (it must hold at least ${MIN_TOKEN_LENGTH} base64url characters); ${fix}`);
  }
  return token;
}

export function loadToken(paths: DataDirPaths, external: ExternalSecrets = {}): string {
  if (external.tokenFile !== undefined) {
    return checkToken(readExternalSecret(external.tokenFile, 'BULWARK_TOKEN_FILE').toString('utf8').trim(), external.tokenFile, 'make one with "head -c 32 /dev/urandom | base64 | tr \'+/\' \'-_\' | tr -d =\'');
  }
  const token = readOrCreateSecret(paths.token, () => Buffer.from(randomBytes(32).toString('base64url')), paths.dir).toString('utf8').trim();
  return checkToken(token, paths.token, 'delete it and start again to make a new token');
}

function checkKey(key: Buffer, where: string): Buffer {
  if (key.length !== 32) throw new BulwarkError('data_dir_damaged', `${where} is damaged (expected 32 bytes, found ${key.length}); restore it from a backup`);
  // A key anyone can guess (a planted or zeroed file) seals nothing.
  if (key.every((b) => b === 0)) {
    throw new BulwarkError('data_dir_damaged', `${where} is all zeros, which is no key; restore secret.key from a backup, or, if the data dir is new, delete it to make a real one`);
  }
  return key;
}

export function loadMasterKey(paths: DataDirPaths, external: ExternalSecrets = {}): Buffer {
  if (external.secretKeyFile !== undefined) {
    const key = checkKey(readExternalSecret(external.secretKeyFile, 'BULWARK_SECRET_KEY_FILE'), external.secretKeyFile);
    // One key only: a data dir that has its own must not be opened with another.
    const own = readDataDirFile(paths.masterKey, paths.dir);
    if (own !== undefined && !own.equals(key)) {
      throw new BulwarkError('data_dir_damaged', `${external.secretKeyFile} (BULWARK_SECRET_KEY_FILE) is not the key of this data dir (${paths.masterKey}); give that key, or unset BULWARK_SECRET_KEY_FILE`);
    }
    return key;
  }
  // A database without its key is a database whose location keys can never be opened again:
  // refuse rather than make a new key that silently orphans them.
  if (existsSync(paths.db) && !existsSync(paths.masterKey)) {
    throw new BulwarkError(
      'data_dir_damaged',
      `${paths.masterKey} is missing but ${paths.db} exists; restore secret.key from the backup you took with the database (without it the WireGuard keys in the database cannot be opened)`,
    );
  }
  return checkKey(readOrCreateSecret(paths.masterKey, () => randomBytes(32), paths.dir), paths.masterKey);
}

/** What a running server publishes for the CLI on its machine (server.json). */
export interface ServerInfo {
  /** Where a client on this machine dials it: loopback for a wildcard listen. */
  url: string;
  pid: number;
  /** Its TLS certificate's SHA-256 fingerprint, which the CLI pins: the loopback URL is not a name in the certificate. */
  fingerprint?: string;
}

/**
 * What the data dir's server.json says, or undefined when no server wrote one. The dir and the
 * file must be this user's own (checkDataDir, readDataDirFile): a planted one would send the
 * CLI, and its token, to someone else's listener.
 */
export function readServerInfo(paths: DataDirPaths): { [K in keyof ServerInfo]?: unknown } | undefined {
  if (!checkDataDir(paths.dir)) return undefined;
  const text = readDataDirFile(paths.server, paths.dir);
  if (text === undefined) return undefined;
  try {
    const info: unknown = JSON.parse(text.toString('utf8'));
    return typeof info === 'object' && info !== null ? info : {};
  } catch {
    return {};
  }
}

/** Atomic write (temp file + rename), mode 0600. */
export function writeServerInfo(paths: DataDirPaths, info: ServerInfo): void {
  const tmp = `${paths.server}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  renameSync(tmp, paths.server);
}
