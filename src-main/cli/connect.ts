// How the CLI finds its server: --server URL with --token-file (and --fingerprint to pin its
// certificate), or the server.json of the data dir or client dir, whose certificate
// fingerprint the CLI pins: it dials loopback, which is not a name in the certificate.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { BulwarkError } from '../contract/index.js';
import { dataDirPaths, readDataDirFile, readServerInfo, resolveDataDir, type DataDirPaths } from '../platform/data-dir.js';
import { clientDirPaths, readClientDir } from '../platform/client-dir.js';
import { HttpClient } from '../transport/http/client.js';
import { normalizeFingerprint, type Pin } from '../transport/http/pinned-tls.js';

export interface ConnectOptions {
  dataDir?: string;
  server?: string;
  tokenFile?: string;
  fingerprint?: string;
}

function readToken(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw BulwarkError.field(flag, `cannot read ${file} (${(err as NodeJS.ErrnoException).code}); give the token file of the Bulwark server`);
  }
}

function readDataDirToken(paths: DataDirPaths): string {
  const token = readDataDirFile(paths.token, paths.dir);
  if (token === undefined) throw BulwarkError.field('--data-dir', `${paths.token} is missing; restart "bulwark serve" to make it, or pass --token-file FILE`);
  return token.toString('utf8').trim();
}

function actor(): string {
  try {
    return `cli:${userInfo().username}@${hostname()}`;
  } catch {
    return 'cli';
  }
}

/** --fingerprint, checked: only with an https --server. */
function pinned(opts: ConnectOptions): { pin?: Pin } {
  if (opts.fingerprint === undefined) return {};
  if (opts.server === undefined || !opts.server.startsWith('https://')) {
    throw BulwarkError.field('--fingerprint', 'pins the certificate of an https --server; give --server https://HOST:PORT with it (the CLI pins the local server\'s on its own)');
  }
  const fingerprint = normalizeFingerprint(opts.fingerprint);
  if (fingerprint === undefined) throw BulwarkError.field('--fingerprint', `"${opts.fingerprint}" is not a SHA-256 fingerprint; give the 64 hex digits bulwark serve prints (AB:CD:…)`);
  return { pin: { sha256: fingerprint, onMismatch: 'Check --fingerprint: if the server has a new certificate, give its fingerprint (bulwark serve prints it when it starts)' } };
}

/** A fingerprint the server published in `file`: used only when it is one. */
function published(fingerprint: unknown, file: string): { pin?: Pin } {
  const f = typeof fingerprint === 'string' ? normalizeFingerprint(fingerprint) : undefined;
  return f === undefined ? {} : { pin: { sha256: f, onMismatch: `${file} names another certificate: another program may hold that port now; restart "bulwark serve"` } };
}

export function connect(opts: ConnectOptions): HttpClient {
  const pin = pinned(opts);
  if (opts.server !== undefined) {
    if (!/^https?:\/\/[^/]+\/?$/.test(opts.server)) {
      throw BulwarkError.field('--server', `"${opts.server}" is not a server URL; use http://HOST:PORT or https://HOST:PORT`);
    }
    const tokenFile = opts.tokenFile ?? (process.env.BULWARK_TOKEN_FILE || undefined);
    if (tokenFile === undefined) throw BulwarkError.field('--token-file', 'is required with --server; give the path of the server\'s token file');
    return new HttpClient({ url: opts.server.replace(/\/$/, ''), token: readToken(tokenFile, '--token-file'), actor: actor(), ...pin });
  }
  // A system service's client dir (the Debian package's), when no data dir is named.
  const clientDir = process.env.BULWARK_CLIENT_DIR;
  if (opts.dataDir === undefined && !process.env.BULWARK_DATA_DIR && clientDir) {
    const shared = readClientDir(clientDir);
    if (shared) return new HttpClient({ url: shared.url, token: opts.tokenFile !== undefined ? readToken(opts.tokenFile, '--token-file') : shared.token, actor: actor(), ...published(shared.fingerprint, clientDirPaths(clientDir).server) });
    if (existsSync(clientDir)) {
      let member = true;
      try {
        accessSync(clientDir, constants.R_OK | constants.X_OK);
      } catch {
        member = false;
      }
      // A user outside the group may run a Core of their own: that one, if it runs.
      const own = dataDirPaths(resolveDataDir(undefined));
      if (!member && readServerInfo(own) === undefined) {
        throw new BulwarkError('unauthorized', `the Bulwark service's address and token in ${clientDir} are for root and the bulwark group; run the command with sudo, or join the group ("sudo adduser $USER bulwark", then log in again)`);
      }
      if (member) throw new BulwarkError('unavailable', `the Bulwark service has not published its address in ${clientDir}; is it running? ("systemctl status bulwark")`);
    }
  }
  const paths = dataDirPaths(resolveDataDir(opts.dataDir));
  const info = readServerInfo(paths);
  if (info === undefined) {
    throw new BulwarkError(
      'unavailable',
      `no "bulwark serve" is running for data dir ${paths.dir}; start one with "bulwark serve --data-dir ${paths.dir}", or pass --server URL --token-file FILE`,
    );
  }
  if (typeof info.url !== 'string') throw new BulwarkError('unavailable', `${paths.server} is damaged; restart "bulwark serve"`);
  // The server's token file when it is not the data dir's (BULWARK_TOKEN_FILE, as "bulwark serve" was given it).
  const tokenFile = opts.tokenFile ?? (process.env.BULWARK_TOKEN_FILE || undefined);
  const token = tokenFile !== undefined ? readToken(tokenFile, '--token-file') : readDataDirToken(paths);
  return new HttpClient({ url: info.url, token, actor: actor(), ...published(info.fingerprint, paths.server) });
}
