// devices.search: one page of a location's devices in name order, narrowed by what the admin
// typed, for tables that must stay fast at 10,000 devices. The search and the count run in
// SQLite (a scan of one location's rows: about a millisecond per 10,000 devices), so only the
// page crosses the wire; StatusModel adds each row's tunnel from the gateways' reports.
import { z } from 'zod';
import type { ProcParsedInput } from '../contract/index.js';
import type { Tx } from '../store/db.js';

const Row = z.object({
  name: z.string(),
  address: z.string(),
  public_key: z.string(),
  created_at: z.string(),
  enabled: z.number().int(),
  session_id: z.number().int().nullable(),
  session_started_at: z.string().nullable(),
  session_started_by: z.string().nullable(),
});
export type DeviceSearchDbRow = z.infer<typeof Row>;

/** `text` as a LIKE pattern that matches it literally (with ESCAPE '\'). */
const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

// Part of the name (LIKE: ASCII letters either case, as names compare), the start of the
// address, or the start of the key (exact: keys are base64, where case matters).
const MATCH = `d.location_id = ? AND (? = '' OR d.name LIKE ? ESCAPE '\\' OR d.address LIKE ? ESCAPE '\\' OR substr(d.public_key, 1, length(?)) = ?)`;

/** A device with its active session (a disabled device has none). */
const SELECT = `SELECT d.name, d.address, d.public_key, d.created_at, d.enabled, s.id AS session_id, s.started_at AS session_started_at, s.started_by AS session_started_by
  FROM devices d LEFT JOIN sessions s ON s.device_id = d.id AND s.ended_at IS NULL AND d.enabled = 1`;

/** One device by its exact name, or null: a device's own page. */
export function findDevice(tx: Tx, locationId: number, name: string): DeviceSearchDbRow | null {
  const row = tx.get(`${SELECT} WHERE d.location_id = ? AND d.name = ?`, locationId, name);
  return row === undefined ? null : Row.parse(row);
}

/**
 * The page of `input` among the location's matching devices, with how many match and how many
 * there are. An offset past the matches (devices removed, a narrower search) gives the last page.
 */
export function searchDevices(tx: Tx, locationId: number, input: ProcParsedInput<'devices.search'>): { total: number; all: number; offset: number; rows: DeviceSearchDbRow[] } {
  const q = input.query.trim();
  const params = [locationId, q, `%${literal(q)}%`, `${literal(q)}%`, q, q] as const;
  const total = tx.get<{ n: number }>(`SELECT count(*) AS n FROM devices d WHERE ${MATCH}`, ...params)!.n;
  const all = q === '' ? total : tx.get<{ n: number }>('SELECT count(*) AS n FROM devices WHERE location_id = ?', locationId)!.n;
  const offset = input.offset < total ? input.offset : Math.max(0, Math.floor((total - 1) / input.limit) * input.limit);
  const rows = tx
    .all(
      `${SELECT} WHERE ${MATCH} ORDER BY d.name LIMIT ? OFFSET ?`,
      ...params,
      input.limit,
      offset,
    )
    .map((r) => Row.parse(r));
  return { total, all, offset, rows };
}
