// Headless entry: the same Core as the desktop app, served over HTTP + WebSocket with the UI.
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { BulwarkError } from './contract/index.js';
import { createCore, type Core, type CoreOptions } from './system/system.js';
import { checkClientDir, publishClientDir } from './platform/client-dir.js';
import {
  ensureDataDir,
  type ExternalSecrets,
  loadMasterKey,
  loadToken,
  writeServerInfo,
  type DataDirPaths,
} from './platform/data-dir.js';
import { lockDataDir } from './platform/data-dir-lock.js';
import { isLoopback, localUrl, parseListen } from './platform/listen.js';
import type { Log } from './platform/log.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from './transport/http/server.js';

export interface ServeOptions {
  dataDir: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  uiDir?: string;
  /** The built agent artifacts (dist/agents) that provisioning installs. */
  agentsDir?: string;
  /** Control link timing (tests shorten it). */
  link?: CoreOptions['link'];
  /** Host names the server answers to besides its listen address, loopback and its TLS certificate's names. */
  hostNames?: readonly string[];
  /** Time a client has to send one whole request, in ms (tests shorten it). */
  requestTimeoutMs?: HttpServerOptions['requestTimeoutMs'];
  /** Also publish the address and token here for the service's group (the Debian package's /run/bulwark-core). */
  clientDir?: string;
  /** The token and the secret key from files outside the data dir (a Kubernetes Secret); else the data dir's. */
  secrets?: ExternalSecrets;
  log: Log;
}

export interface Running {
  url: string;
  /** The TLS certificate's SHA-256 fingerprint, when serving HTTPS. */
  fingerprint?: string;
  /** The data dir's paths; `token` is the token file in use (BULWARK_TOKEN_FILE's when given). */
  paths: DataDirPaths;
  core: Core;
  http: HttpServer;
  stop(): Promise<void>;
}

/** The DNS names and addresses a certificate is for: the names clients reach this server by. */
function certificateNames(pem: Buffer): string[] {
  try {
    const san = new X509Certificate(pem).subjectAltName ?? '';
    return san.split(/,\s*/).flatMap((entry) => {
      const m = /^(?:DNS|IP Address):(.+)$/.exec(entry.trim());
      return m ? [m[1]!] : [];
    });
  } catch {
    // Not parsable here: the TLS server reports a bad certificate itself.
    return [];
  }
}

/** The SHA-256 fingerprint of the certificate the server shows (the file's first), as Node prints it. */
function certificateFingerprint(pem: Buffer): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

export async function serve(opts: ServeOptions): Promise<Running> {
  const listen = parseListen(opts.listen);
  const tls = opts.tlsCert !== undefined || opts.tlsKey !== undefined;
  if (tls && (opts.tlsCert === undefined || opts.tlsKey === undefined)) {
    throw BulwarkError.field('--tls-cert', 'TLS needs both --tls-cert FILE and --tls-key FILE; give both');
  }
  if (!isLoopback(listen.host) && !tls) {
    throw BulwarkError.field(
      '--listen',
      `${listen.host} is not a loopback address, and serving the API beyond this machine needs TLS; add --tls-cert FILE --tls-key FILE, or listen on 127.0.0.1`,
    );
  }
  const readPem = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw BulwarkError.field(flag, `cannot read ${file} (${(err as NodeJS.ErrnoException).code}); give a PEM file readable by this user`);
    }
  };
  const tlsFiles = tls ? { cert: readPem('--tls-cert', opts.tlsCert!), key: readPem('--tls-key', opts.tlsKey!) } : undefined;
  const fingerprint = tlsFiles ? certificateFingerprint(tlsFiles.cert) : undefined;

  if (opts.clientDir !== undefined) checkClientDir(opts.clientDir);
  const paths = ensureDataDir(opts.dataDir);
  const unlock = lockDataDir(paths);
  let core: Core | undefined;
  try {
    const token = loadToken(paths, opts.secrets);
    core = createCore({
      dbFile: paths.db,
      masterKey: loadMasterKey(paths, opts.secrets),
      apiToken: token,
      agentsDir: opts.agentsDir,
      link: opts.link,
      onInternalError: (name, err) => opts.log.error({ err, procedure: name }, 'procedure failed'),
    });
    await core.start();
    const http = await startHttpServer(core, {
      host: listen.host,
      port: listen.port,
      token,
      tls: tlsFiles,
      uiDir: opts.uiDir,
      hostNames: [...(opts.hostNames ?? []), ...(tlsFiles ? certificateNames(tlsFiles.cert) : [])],
      requestTimeoutMs: opts.requestTimeoutMs,
      log: opts.log,
    });
    const published = { url: localUrl(http.url), pid: process.pid, ...(fingerprint === undefined ? {} : { fingerprint }) };
    writeServerInfo(paths, published);
    const unpublish = opts.clientDir !== undefined ? publishClientDir(opts.clientDir, published, token) : () => undefined;
    opts.log.info({ url: http.url, dataDir: paths.dir, ...(fingerprint === undefined ? {} : { certificateSha256: fingerprint }) }, 'bulwark serve is listening');
    const c = core;
    let stopped = false;
    return {
      url: http.url,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      paths: { ...paths, token: opts.secrets?.tokenFile ?? paths.token },
      core: c,
      http,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        try {
          await http.close();
        } finally {
          c.close();
          rmSync(paths.server, { force: true });
          unpublish();
          unlock();
        }
      },
    };
  } catch (err) {
    core?.close();
    unlock();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw BulwarkError.field('--listen', `${opts.listen} is already in use by another program; choose another port, such as 127.0.0.1:0 for any free one`);
    }
    throw err;
  }
}
