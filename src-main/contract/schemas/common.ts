// Field schemas shared by every area of the contract. Messages say what is wrong and how to fix it.
import { z } from 'zod';
import { parseCidr } from '../../net/ip.js';
import { parsePort } from '../../net/endpoint.js';
import { mixedScripts } from '../../text/scripts.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A UTF-16 surrogate without its partner: not a character, stored as bytes that are not UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Format characters (Unicode category Cf): bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E,
 * U+200F, U+061C) that make text print in another order than it is stored, and zero-width ones
 * (U+200B–U+200D, U+2060, U+FEFF, U+00AD) that make two names look the same.
 */
const INVISIBLE = /\p{Cf}/u;

/**
 * Why text that is shown to people and typed back by them would mislead them, or null. Malformed
 * Unicode, bidi controls and invisible characters are refused: what the screen shows must be
 * what is stored.
 */
export function unicodeProblem(v: string): string | null {
  if (LONE_SURROGATE.test(v)) return 'is not well-formed Unicode (it holds half of a surrogate pair); send the text as UTF-8';
  const invisible = INVISIBLE.exec(v);
  if (invisible) {
    const code = `U+${(invisible[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `contains the invisible or text-direction character ${code}, which makes it print differently from what it is; remove it`;
  }
  return null;
}

/** Why a name would pass for another one (a word mixing Latin and Cyrillic letters), or null. */
function lookAlikeProblem(v: string): string | null {
  const mixed = mixedScripts(v);
  if (!mixed) return null;
  return `mixes ${mixed.scripts.join(' and ')} letters in the word ${JSON.stringify(mixed.word)}, so it can look like another name; write each word in one script`;
}

/** Name of a location or host: used in file, unit and interface names, so kept to a safe alphabet. */
export const ResourceName = z.string().superRefine((v, ctx) => {
  if (v.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty; give a name such as "hq" or "gw-1"' });
  else if (v.length > 63) ctx.addIssue({ code: 'custom', message: 'is too long; use at most 63 characters' });
  else if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not a valid name; use letters, digits, ".", "_" or "-", starting with a letter or digit`,
    });
  }
});

/**
 * Free-text name of a device ("Anna's laptop"): printable characters only, 1 to 64 of them, each
 * word in one script (or a mix that real writing uses, as Japanese does), in Unicode's composed
 * form (NFC), so that "é" typed as one character or as "e" and an accent is
 * one name, and the uniqueness check sees them as the same.
 */
export const DeviceName = z
  .string()
  .superRefine((v, ctx) => {
    const unicode = unicodeProblem(v) ?? lookAlikeProblem(v);
    if (v.trim().length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty; give a name such as "anna-laptop"' });
    else if (v.length > 64) ctx.addIssue({ code: 'custom', message: 'is too long; use at most 64 characters' });
    else if (CONTROL.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'contains a line break or control character; use printable characters only' });
    } else if (unicode) ctx.addIssue({ code: 'custom', message: unicode });
    else if (v !== v.trim()) ctx.addIssue({ code: 'custom', message: 'starts or ends with a space; remove it' });
  })
  .transform((v) => v.normalize('NFC'));

/** An IPv4 or IPv6 network in CIDR form with no host bits set. */
export const CidrText = z.string().superRefine((v, ctx) => {
  const r = parseCidr(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
});

/** A WireGuard public key: 44 characters of standard base64 encoding exactly 32 bytes. */
export const WireGuardKey = z.string().superRefine((v, ctx) => {
  if (!/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `is not a WireGuard public key (base64 of 32 bytes, 44 characters ending in "="); give the output of "wg pubkey"`,
    });
  }
});

export const Port = z.number().int().min(1).max(65535);

export const PortText = z.string().superRefine((v, ctx) => {
  if (parsePort(v) === null) ctx.addIssue({ code: 'custom', message: `"${v}" is not a port; use a number from 1 to 65535` });
});

/** ISO 8601 time in UTC with milliseconds. */
export const Timestamp = z.string();

export const Empty = z.strictObject({});
