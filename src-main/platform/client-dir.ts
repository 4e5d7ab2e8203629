// The client dir: where a system service publishes its address and token for the admins it
// serves (the Debian package's /run/bulwark-core, 0750, group bulwark), since its data dir is
// its own alone. `bulwark serve --client-dir DIR` writes it; the CLI reads it when no data dir
// or server is named (BULWARK_CLIENT_DIR, set by /usr/bin/bulwark). Files are 0640: the
// directory's group may read them, nobody else.
import { chmodSync, constants, closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../contract/index.js';
import type { ServerInfo } from './data-dir.js';

export interface ClientDirPaths {
  server: string;
  token: string;
}

export function clientDirPaths(dir: string): ClientDirPaths {
  return { server: join(dir, 'server.json'), token: join(dir, 'token') };
}

function writeShared(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  // Explicitly: the server runs with umask 077, which would take the group's read away.
  chmodSync(tmp, 0o640);
  renameSync(tmp, path);
}

/** Checks a client dir before the server binds: an existing directory that others cannot write. */
export function checkClientDir(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw BulwarkError.field('--client-dir', `${dir} cannot be used (${(err as NodeJS.ErrnoException).code}); give an existing directory (systemd's RuntimeDirectory)`);
  }
  if (!st.isDirectory()) throw BulwarkError.field('--client-dir', `${dir} is not a directory`);
  if ((st.mode & 0o002) !== 0) throw BulwarkError.field('--client-dir', `${dir} is writable by every user; give a directory only this service can write (mode 0750)`);
}

/** Publishes the server's URL and token; returns what removes the address again (at stop). */
export function publishClientDir(dir: string, info: ServerInfo, token: string): () => void {
  checkClientDir(dir);
  const p = clientDirPaths(dir);
  writeShared(p.token, `${token}\n`);
  writeShared(p.server, JSON.stringify(info));
  return () => rmSync(p.server, { force: true });
}

function readShared(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    // Another user's planted file could send the CLI, and its token, to their listener.
    if (!st.isFile() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The server a client dir names, when this user may read it: its URL, certificate fingerprint and token. */
export function readClientDir(dir: string): (Pick<ServerInfo, 'url' | 'fingerprint'> & { token: string }) | undefined {
  try {
    if ((statSync(dir).mode & 0o002) !== 0) return undefined;
  } catch {
    return undefined;
  }
  const p = clientDirPaths(dir);
  const server = readShared(p.server);
  const token = readShared(p.token)?.trim();
  if (server === undefined || !token) return undefined;
  try {
    const info = JSON.parse(server) as { [K in keyof ServerInfo]?: unknown };
    if (typeof info.url !== 'string') return undefined;
    return { url: info.url, token, ...(typeof info.fingerprint === 'string' ? { fingerprint: info.fingerprint } : {}) };
  } catch {
    return undefined;
  }
}
