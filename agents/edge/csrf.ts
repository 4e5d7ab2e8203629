// CSRF tokens every edge can check: random bytes, the time they were made, and an HMAC under a
// key that Core gives all edges over the link (defguard 1.x made a key per edge, so a request
// that moved to another edge broke). A token is sent both as an HttpOnly cookie and in the
// x-csrf-token header; a cross-site page can send neither. Pure; the key comes from the caller.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a token is good for: longer than anyone takes to enrol. */
export const CSRF_MAX_AGE_S = 12 * 3600;

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function makeCsrfToken(key: Buffer, nowMs: number): string {
  const payload = `${randomBytes(16).toString('base64url')}.${Math.floor(nowMs / 1000).toString(36)}`;
  return `${payload}.${mac(key, payload)}`;
}

/** True when the token was made by any of the keys, within CSRF_MAX_AGE_S. */
export function checkCsrfToken(keys: Buffer[], token: string, nowMs: number): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || token.length > 200) return false;
  const [nonce, issued, sig] = parts as [string, string, string];
  const age = nowMs / 1000 - parseInt(issued, 36);
  if (!Number.isFinite(age) || age < -300 || age > CSRF_MAX_AGE_S) return false;
  const given = Buffer.from(sig, 'base64url');
  return keys.some((k) => {
    const want = Buffer.from(mac(k, `${nonce}.${issued}`), 'base64url');
    return want.length === given.length && timingSafeEqual(want, given);
  });
}

/** The token in a Cookie header, if any. */
export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
