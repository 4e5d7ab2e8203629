// Migration 12: the failover history. Each row is one takeover as the new master measured it:
// when the floating IP was on it, and how long each of its clients took to complete a fresh
// handshake. (gateway, report_id) is unique: a gateway resends a report until Core acknowledges.
import type { Migration } from './migration.js';

export const m0012Failovers: Migration = {
  version: 12,
  name: 'failovers',
  sql: `
CREATE TABLE failovers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  gateway TEXT NOT NULL,
  report_id TEXT NOT NULL,
  -- The gateway Core last saw holding the floating IP before this one; NULL when unknown.
  previous TEXT,
  took_at TEXT NOT NULL,
  address_after_ms REAL NOT NULL,
  clients INTEGER NOT NULL,
  -- JSON: each returned client's milliseconds to its handshake, ascending.
  back_ms TEXT NOT NULL,
  -- JSON: [{publicKey, device}] of the clients that did not come back (device NULL when unknown).
  missing TEXT NOT NULL,
  unreachable INTEGER NOT NULL,
  -- 1 when an admin's drill caused it.
  drill INTEGER NOT NULL CHECK (drill IN (0, 1)),
  received_at TEXT NOT NULL,
  UNIQUE (gateway, report_id)
) STRICT;
CREATE INDEX failovers_location ON failovers (location_id, took_at);
`,
};
