// Migration 1: the first schema (locations, hosts, gateways, edges, devices, events).
import type { Migration } from './migration.js';

export const m0001Init: Migration = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE locations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  network TEXT NOT NULL,
  family INTEGER NOT NULL CHECK (family IN (4, 6)),
  endpoint_host TEXT NOT NULL,
  endpoint_port INTEGER NOT NULL CHECK (endpoint_port BETWEEN 1 AND 65535),
  mfa INTEGER NOT NULL CHECK (mfa IN (0, 1)),
  disconnect_threshold INTEGER NOT NULL CHECK (disconnect_threshold > 0),
  wg_public_key TEXT NOT NULL,
  wg_private_key_enc BLOB NOT NULL,
  next_device_index INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  ssh_user TEXT NOT NULL,
  ssh_address TEXT NOT NULL,
  ssh_port INTEGER NOT NULL CHECK (ssh_port BETWEEN 1 AND 65535),
  auth_kind TEXT NOT NULL CHECK (auth_kind IN ('agent', 'key')),
  identity_file TEXT,
  host_key_fingerprint TEXT,
  created_at TEXT NOT NULL,
  CHECK ((auth_kind = 'key') = (identity_file IS NOT NULL))
) STRICT;
CREATE TABLE gateways (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE RESTRICT,
  created_at TEXT NOT NULL,
  UNIQUE (location_id, host_id)
) STRICT;
CREATE INDEX gateways_host ON gateways (host_id);
CREATE TABLE edges (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL UNIQUE REFERENCES hosts (id) ON DELETE RESTRICT,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
  name TEXT NOT NULL COLLATE NOCASE,
  public_key TEXT NOT NULL,
  host_index INTEGER NOT NULL CHECK (host_index > 0),
  address TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (location_id, name),
  UNIQUE (location_id, public_key),
  UNIQUE (location_id, host_index)
) STRICT;
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
`,
};
