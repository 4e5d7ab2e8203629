// How the CLI finds its server: --server URL with --token-file, or the data dir's server.json.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { BulwarkError } from '../contract/index.js';
import { dataDirPaths, readDataDirFile, readServerInfo, resolveDataDir, type DataDirPaths } from '../platform/data-dir.js';
import { readClientDir } from '../platform/client-dir.js';
import { HttpClient } from '../transport/http/client.js';

export interface ConnectOptions {
  dataDir?: string;
  server?: string;
  tokenFile?: string;
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

export function connect(opts: ConnectOptions): HttpClient {
  if (opts.server !== undefined) {
    if (!/^https?:\/\/[^/]+\/?$/.test(opts.server)) {
      throw BulwarkError.field('--server', `"${opts.server}" is not a server URL; use http://HOST:PORT or https://HOST:PORT`);
    }
    const tokenFile = opts.tokenFile ?? (process.env.BULWARK_TOKEN_FILE || undefined);
    if (tokenFile === undefined) throw BulwarkError.field('--token-file', 'is required with --server; give the path of the server\'s token file');
    return new HttpClient({ url: opts.server.replace(/\/$/, ''), token: readToken(tokenFile, '--token-file'), actor: actor() });
  }
  // A system service's client dir (the Debian package's), when no data dir is named.
  const clientDir = process.env.BULWARK_CLIENT_DIR;
  if (opts.dataDir === undefined && !process.env.BULWARK_DATA_DIR && clientDir) {
    const shared = readClientDir(clientDir);
    if (shared) return new HttpClient({ url: shared.url, token: opts.tokenFile !== undefined ? readToken(opts.tokenFile, '--token-file') : shared.token, actor: actor() });
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
  return new HttpClient({ url: info.url, token, actor: actor() });
}
