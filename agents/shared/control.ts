// The agent's end of the control link: a WebSocket server over TLS that requires a client
// certificate from Core's CA with the subject "core". Core dials in; the agent says hello,
// then sends heartbeats at the rate Core asks for. A message that does not parse is counted,
// logged and answered with "refused"; the link stays. Certificate files are re-read when they
// change, so a renewed certificate takes effect without a restart. Core also renews the
// certificate over the link: the agent keeps that one in its state directory (its config
// directory is read-only to it) and serves whichever of the two is valid the longest.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { CoreMessage, LINK_PROTOCOL, LINK_SUBPROTOCOL, type AgentMessage } from '../../src-main/contract/index.js';
import { log } from './agent.js';

/** A welcomed link to Core: how to send on it, and how often Core wants the per-peer counters. */
export interface ControlLink {
  send: (m: AgentMessage) => void;
  /** A heartbeat now, besides the regular ones: for news Core should not wait a beat for (a VRRP role change). */
  beat: () => void;
  statsMs: number;
}

export interface ControlOptions {
  address: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
  /** Where a certificate that Core renewed over the link is kept (in the agent's state directory). */
  renewed: { cert: string; key: string };
  /** The subject this agent's certificate must carry ("gateway:<host>"). */
  subject: string;
  hello: () => Extract<AgentMessage, { type: 'hello' }>;
  healthy: () => boolean;
  /** A gateway's floating IPs: its VRRP role and whether it holds the address, per location. */
  vrrp?: () => NonNullable<Extract<AgentMessage, { type: 'heartbeat' }>['vrrp']>;
  /** A balancer: nginx and its rotation, for every heartbeat. */
  balancer?: () => NonNullable<Extract<AgentMessage, { type: 'heartbeat' }>['balancer']>;
  /** An edge: its readiness and what it served, for every heartbeat. */
  edge?: () => NonNullable<Extract<AgentMessage, { type: 'heartbeat' }>['edge']>;
  /** Told after the agent's certificate changed (renewed over the link, or its files changed), so other listeners can present it too. */
  onTlsChanged?: () => void;
  /** Told when a link is welcomed (with a way to send on it) and when it ends (null). */
  onLink?: (link: ControlLink | null) => void;
  /** Everything but welcome and ping; the answer (if any) goes back on the link. */
  handle?: (msg: CoreMessage) => Promise<AgentMessage | null>;
}

const notAfter = (pem: Buffer | string) => Date.parse(new X509Certificate(pem).validTo);

/** The CA, and the provisioned certificate or the renewed one, whichever is valid the longest. */
export function tlsFiles(o: Pick<ControlOptions, 'ca' | 'cert' | 'key' | 'renewed'>) {
  const files = { ca: readFileSync(o.ca), cert: readFileSync(o.cert), key: readFileSync(o.key) };
  try {
    const cert = readFileSync(o.renewed.cert);
    const key = readFileSync(o.renewed.key);
    // A pair torn by a crash between its two writes does not match: then the provisioned one serves.
    if (notAfter(cert) > notAfter(files.cert) && new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) return { ...files, cert, key };
  } catch {
    // none renewed yet, or unreadable: the provisioned one serves
  }
  return files;
}

/** Checks a certificate Core sent: from the trusted CA, for this agent, with its key, newer than the one in use. */
function checkRenewal(o: Pick<ControlOptions, 'ca' | 'cert' | 'key' | 'renewed' | 'subject'>, certPem: string, keyPem: string, inUse: Buffer): X509Certificate {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(readFileSync(o.ca));
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error('the certificate is not signed by the CA this agent trusts');
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  if (cn !== o.subject) throw new Error(`the certificate is for ${String(cn)}, not ${o.subject}`);
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('the key does not belong to the certificate');
  if (Date.parse(cert.validTo) <= Date.now()) throw new Error('the certificate has expired');
  if (Date.parse(cert.validTo) <= notAfter(inUse)) throw new Error('the certificate is not newer than the one in use');
  return cert;
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.new`, text, { mode: 0o600 });
  renameSync(`${path}.new`, path);
}

export async function startControl(o: ControlOptions): Promise<() => Promise<void>> {
  let server: Server;
  try {
    server = createServer({ ...tlsFiles(o), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
  } catch (err) {
    throw new Error(`cannot load the control link's TLS files (${(err as Error).message}); run "bulwark provision apply" again`);
  }
  let bad = 0;
  let current: WebSocket | null = null;
  const wss = new WebSocketServer({
    server,
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(LINK_SUBPROTOCOL) ? LINK_SUBPROTOCOL : false),
    verifyClient: (info, done) => {
      const cn = (info.req.socket as TLSSocket).getPeerCertificate().subject?.CN;
      if (cn !== 'core') {
        log('control link refused', { reason: `client certificate subject ${String(cn)} is not "core"` });
        return done(false, 403, 'not Core');
      }
      done(true);
    },
  });
  wss.on('connection', (ws) => {
    // One Core at a time: a new link replaces an old one that may be half-open (and whoever
    // listens hears that the old one ended before the new one is welcomed).
    if (current) {
      const old = current;
      current = null;
      old.terminate();
      o.onLink?.(null);
    }
    current = ws;
    let timer: NodeJS.Timeout | null = null;
    let seq = 0;
    let handling: Promise<void> = Promise.resolve();
    log('control link up');
    ws.send(JSON.stringify(o.hello()));
    ws.on('message', (data) => {
      let msg: CoreMessage;
      try {
        msg = CoreMessage.parse(JSON.parse(String(data)));
      } catch (err) {
        bad += 1;
        log('control link: refused a message', { bad, reason: (err as Error).message.slice(0, 200) });
        ws.send(JSON.stringify({ type: 'refused', reason: `message ${bad} does not parse as a Core message of protocol ${LINK_PROTOCOL}` } satisfies AgentMessage));
        return;
      }
      if (msg.type === 'welcome') {
        if (timer) clearInterval(timer);
        const beat = () => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'heartbeat', seq: ++seq, healthy: o.healthy(), ...(o.vrrp ? { vrrp: o.vrrp() } : {}), ...(o.balancer ? { balancer: o.balancer() } : {}), ...(o.edge ? { edge: o.edge() } : {}) } satisfies AgentMessage));
        beat();
        timer = setInterval(beat, msg.heartbeatMs);
        o.onLink?.({ send: (m) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m)), beat, statsMs: msg.statsMs });
      } else if (msg.type === 'ping') {
        ws.send(JSON.stringify({ type: 'heartbeat', seq: ++seq, healthy: o.healthy() } satisfies AgentMessage));
      } else if (msg.type === 'certificate') {
        try {
          const cert = checkRenewal(o, msg.certPem, msg.keyPem, tlsFiles(o).cert);
          // Key first: the certificate is what makes the pair count (see tlsFiles).
          writeAtomic(o.renewed.key, msg.keyPem);
          writeAtomic(o.renewed.cert, msg.certPem);
          server.setSecureContext(tlsFiles(o));
          o.onTlsChanged?.();
          const serial = cert.serialNumber.toLowerCase().replace(/^0+/, '');
          log('control link: installed a renewed certificate', { serial, notAfter: cert.validTo });
          ws.send(JSON.stringify({ type: 'certificateInstalled', serial, notAfter: new Date(cert.validTo).toISOString() } satisfies AgentMessage));
        } catch (err) {
          log('control link: refused a renewed certificate', { error: (err as Error).message });
          ws.send(JSON.stringify({ type: 'refused', reason: `certificate: ${(err as Error).message}` } satisfies AgentMessage));
        }
      } else if (o.handle) {
        // In order: a change must not overtake the one before it.
        handling = handling.then(async () => {
          try {
            const reply = await o.handle!(msg);
            if (reply && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
          } catch (err) {
            log('control link: could not apply a message', { type: msg.type, error: (err as Error).message });
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'refused', reason: `${msg.type}: ${(err as Error).message}` } satisfies AgentMessage));
          }
        });
      }
    });
    ws.on('close', () => {
      if (timer) clearInterval(timer);
      if (current === ws) {
        current = null;
        o.onLink?.(null);
      }
      log('control link down');
    });
    ws.on('error', (err) => log('control link error', { error: err.message }));
  });
  // Some clients fail the TLS handshake (no certificate, another CA): log, never crash.
  server.on('tlsClientError', (err) => log('control link: TLS handshake refused', { error: err.message }));
  const reload = () => {
    try {
      server.setSecureContext(tlsFiles(o));
      o.onTlsChanged?.();
      log('control link: certificate files reloaded');
    } catch (err) {
      log('control link: cannot reload certificate files; keeping the old ones', { error: (err as Error).message });
    }
  };
  for (const f of [o.ca, o.cert, o.key]) watchFile(f, { interval: 2000 }, reload);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${o.address}:${o.port} for the control link (${err.code}); another program holds the port`)));
    server.listen(o.port, o.address, () => resolve());
  });
  return async () => {
    for (const f of [o.ca, o.cert, o.key]) unwatchFile(f);
    current?.close(1001, 'agent stopping');
    wss.close();
    await new Promise<void>((done) => server.close(() => done()));
  };
}
