// Why a link failed, as a typed value: "refused" (the agent is not who it should be, or its
// certificate is not acceptable: redialling will not help until someone acts) or "down" (it
// is not reachable now: redialling will). Sorted by the error's code, never by its text.

/** The state a failed dial leaves the link in, and the reason in words an admin can act on. */
export class LinkError extends Error {
  constructor(
    readonly state: 'down' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/** The agent is not the one Core dialled, or speaks another protocol version. */
export const refused = (message: string) => new LinkError('refused', message);
/** Not reachable now; Core redials. */
export const down = (message: string) => new LinkError('down', message);

const NOT_FROM_OUR_CA = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE']);

/** Turns what ws, TLS or the socket threw into a LinkError; a LinkError passes as it is. */
export function linkErrorOf(err: unknown): LinkError {
  if (err instanceof LinkError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code === 'CERT_HAS_EXPIRED') return refused("the agent's certificate has expired; an apply installs a new one");
  if (NOT_FROM_OUR_CA.has(code)) return refused(`the agent's certificate is not from this Core's CA (${code}); something else answers on the control port, or the host was provisioned by another Core`);
  if (code === 'CERT_NOT_YET_VALID') return refused("the agent's certificate is not valid yet; check the clocks of Core and the host");
  if (code === 'ECONNREFUSED') return down('nothing listens on the control port (the agent is stopped, or not provisioned yet)');
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') return down(`the host is unreachable (${code})`);
  // The rest of OpenSSL's verify results and TLS alerts about certificates (CERT_REVOKED,
  // ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE, ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, …).
  if (code.includes('CERT')) return refused(`TLS refused: ${message}`);
  return down(message);
}
