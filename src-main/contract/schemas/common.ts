// Field schemas shared by every area of the contract. Messages say what is wrong and how to fix it.
import { z } from 'zod';
import { parseCidr } from '../../net/ip.js';
import { parsePort } from '../../net/endpoint.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

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

/** Free-text name of a device ("Anna's laptop"): printable characters only, 1 to 64 of them. */
export const DeviceName = z.string().superRefine((v, ctx) => {
  if (v.trim().length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty; give a name such as "anna-laptop"' });
  else if (v.length > 64) ctx.addIssue({ code: 'custom', message: 'is too long; use at most 64 characters' });
  else if (CONTROL.test(v)) {
    ctx.addIssue({ code: 'custom', message: 'contains a line break or control character; use printable characters only' });
  } else if (v !== v.trim()) ctx.addIssue({ code: 'custom', message: 'starts or ends with a space; remove it' });
});

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
