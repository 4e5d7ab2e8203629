// Numbers and times as an admin reads them in a table.
import { formatBytes } from '../../src-main/text/bytes.js';

/** "12 s", "3 min", "5 h", "2 d" between an ISO time and now; clock skew counts as 0. */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** "12 s ago", or `never` for null. */
export function ago(iso: string | null, never = 'never', now = Date.now()): string {
  return iso === null ? never : `${age(iso, now)} ago`;
}

/** formatBytes, or "-" for unknown. */
export function bytes(n: number | null): string {
  return n === null ? '-' : formatBytes(n);
}

/** A count with thousands separators: "10,000". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}
