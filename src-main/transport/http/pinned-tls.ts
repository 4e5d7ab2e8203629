// Pinning the server's certificate by its SHA-256 fingerprint: how a client reaches a Core whose
// certificate it cannot check the usual way. The local server's, dialled over loopback, is for
// the names other clients use (the serve that wrote server.json published its fingerprint); a
// self-signed one is named with --fingerprint. The connection is handed to the request only
// once the server has shown the pinned certificate, so no byte of the request, and no token,
// reaches another listener.
import type { ClientRequestArgs } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { BulwarkError } from '../../contract/index.js';

/**
 * A fingerprint as `openssl x509 -noout -fingerprint -sha256` and Node print it ("AB:CD:…"),
 * from any of those spellings (colons or not, either case, an optional "sha256:" prefix);
 * undefined when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().replace(/^sha-?256[:=]\s*/i, '').replace(/:/g, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) return undefined;
  return hex.toUpperCase().match(/../g)!.join(':');
}

type CreateConnection = NonNullable<ClientRequestArgs['createConnection']>;

/** A pinned certificate, and what to tell the user when the server shows another. */
export interface Pin {
  /** As normalizeFingerprint gives it. */
  sha256: string;
  /** The fix when the certificate differs, for where the pin came from (a flag, server.json). */
  onMismatch: string;
}

/** The createConnection of node:http (and of ws, which passes it on) for a pinned server. */
export function pinnedConnection(pin: Pin): CreateConnection {
  return (options, oncreate) => {
    const host = options.hostname ?? options.host ?? 'localhost';
    const port = Number(options.port || options.defaultPort || 443);
    const socket = connect({
      host,
      port,
      // The chain and the name are not what is checked; the fingerprint is.
      rejectUnauthorized: false,
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    let settled = false;
    const settle = (err: Error | null, s?: Duplex) => {
      if (settled) return;
      settled = true;
      if (err) {
        socket.destroy();
        oncreate(err, socket);
      } else oncreate(null, s!);
    };
    socket.once('secureConnect', () => {
      const shown = socket.getPeerCertificate().fingerprint256;
      if (shown === pin.sha256) return settle(null, socket);
      const where = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
      settle(new BulwarkError('unavailable', `the server at ${where} showed a certificate with SHA-256 ${shown ?? '(none)'}, not the pinned ${pin.sha256}; nothing was sent to it. ${pin.onMismatch}`));
    });
    socket.once('error', (err) => settle(err));
    return undefined;
  };
}
