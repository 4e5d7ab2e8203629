import { describe, expect, test } from 'vitest';
import { down, linkErrorOf, refused } from './link-error.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('linkErrorOf', () => {
  test.each([
    ['CERT_HAS_EXPIRED', 'refused', /has expired/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'refused', /not from this Core's CA \(SELF_SIGNED_CERT_IN_CHAIN\)/],
    ['CERT_NOT_YET_VALID', 'refused', /clocks/],
    ['CERT_REVOKED', 'refused', /^TLS refused: CERT_REVOKED$/],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'refused', /^TLS refused/],
    ['ECONNREFUSED', 'down', /nothing listens/],
    ['EHOSTUNREACH', 'down', /unreachable \(EHOSTUNREACH\)/],
    ['ECONNRESET', 'down', /^ECONNRESET$/],
  ] as const)('%s leaves the link %s', (code, state, reason) => {
    const e = linkErrorOf(coded(code));
    expect(e.state).toBe(state);
    expect(e.message).toMatch(reason);
  });

  test('sorts by code, not by words in the message', () => {
    // Before LinkError, any message with "certificate" in it made a link "refused".
    expect(linkErrorOf(new Error('socket hang up while sending the certificate')).state).toBe('down');
  });

  test('a LinkError passes unchanged', () => {
    const r = refused('not the agent Core dialled');
    expect(linkErrorOf(r)).toBe(r);
    expect(linkErrorOf(down('the link closed')).state).toBe('down');
  });
});
