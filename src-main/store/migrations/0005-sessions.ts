// Migration 5: MFA sessions. A device of an MFA location is a peer on its gateways only while
// it has an active session (ended_at IS NULL); at most one active session per device.
import type { Migration } from './migration.js';

export const m0005Sessions: Migration = {
  version: 5,
  name: 'sessions',
  sql: `
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  started_at TEXT NOT NULL,
  started_by TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT CHECK (end_reason IN ('idle', 'ended', 'replaced', 'device_removed', 'mfa_disabled')),
  ended_by TEXT,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
) STRICT;
CREATE UNIQUE INDEX sessions_active ON sessions (device_id) WHERE ended_at IS NULL;
`,
};
