// Migration 13: a device can be disabled (devices.enabled, 1 for every existing device): it
// keeps its key and address but is no peer on any gateway until it is enabled again. Disabling
// ends the device's MFA sessions with the new reason 'device_disabled', which the CHECK of
// sessions.end_reason must take: SQLite cannot change a CHECK, so the table is rebuilt. Session
// ids are never reused (a gateway refuses an id it ended), so the rebuilt table keeps the old
// AUTOINCREMENT counter, even where the newest sessions went with their removed devices.
import type { Migration } from './migration.js';

export const m0013DeviceEnabled: Migration = {
  version: 13,
  name: 'device-enabled',
  sql: `
ALTER TABLE devices ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
CREATE TABLE sessions_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  started_at TEXT NOT NULL,
  started_by TEXT NOT NULL,
  ended_at TEXT,
  end_reason TEXT CHECK (end_reason IN ('idle', 'ended', 'replaced', 'device_removed', 'mfa_disabled', 'device_disabled')),
  ended_by TEXT,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
) STRICT;
INSERT INTO sessions_new (id, device_id, started_at, started_by, ended_at, end_reason, ended_by)
  SELECT id, device_id, started_at, started_by, ended_at, end_reason, ended_by FROM sessions;
DELETE FROM sqlite_sequence WHERE name = 'sessions_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'sessions_new', seq FROM sqlite_sequence WHERE name = 'sessions';
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE UNIQUE INDEX sessions_active ON sessions (device_id) WHERE ended_at IS NULL;
`,
};
