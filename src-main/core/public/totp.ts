// TOTP (RFC 6238) for MFA locations: SHA-1, 6 digits, 30 s steps, as every authenticator app
// does by default. A code is accepted within ±1 step of Core's clock, and only for a step newer
// than the last one accepted for the device, so a code works once (replay refused).
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ISSUER = 'Bulwark';

/** A new secret (160 bits), base32 as authenticator apps want it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an app scans: issuer Bulwark, label "<location>/<device>". */
export function totpUri(secret: string, label: string): string {
  return totp(secret, label).toString();
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'bad_code' | 'code_reused' };

/**
 * Checks a code at `nowMs` against the secret: within one step either side, and for a step
 * newer than `lastStep` (the step of the last code accepted for this device, or null).
 */
export function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | null): TotpCheck {
  const delta = totp(secret, 'check').validate({ token: code, timestamp: nowMs, window: 1 });
  if (delta === null) return { ok: false, reason: 'bad_code' };
  const step = Math.floor(nowMs / 1000 / TOTP_PERIOD_S) + delta;
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'code_reused' };
  return { ok: true, step };
}
