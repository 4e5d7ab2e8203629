// Migration 11: the public service. Invites (only a token's hash is kept), each device's
// authenticator and connect link, lockouts after too many wrong codes, the answers to public
// calls by idempotency key (so a call a balancer retried on another edge is done once), the
// public name with its TLS, and the secrets Core keeps for itself (the key all edges share).
import type { Migration } from './migration.js';

export const m0011Edge: Migration = {
  version: 11,
  name: 'edge',
  sql: `
CREATE TABLE edge_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_name TEXT NOT NULL,
  balancer_host_id INTEGER REFERENCES hosts (id) ON DELETE RESTRICT,
  tls_source TEXT NOT NULL CHECK (tls_source IN ('admin', 'ca')),
  tls_cert_pem TEXT NOT NULL,
  tls_key_enc BLOB NOT NULL,
  -- Addresses of the admin's own proxies whose X-Forwarded-For the edges believe (JSON array).
  trusted_proxies TEXT NOT NULL DEFAULT '[]',
  updated_at TEXT NOT NULL
) STRICT;
CREATE TABLE core_secrets (
  name TEXT PRIMARY KEY,
  value_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE invites (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
  device_name TEXT NOT NULL COLLATE NOCASE,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
  revoked_at TEXT,
  revoked_by TEXT,
  totp_secret_enc BLOB
) STRICT;
CREATE INDEX invites_location ON invites (location_id);
ALTER TABLE devices ADD COLUMN connect_id TEXT;
ALTER TABLE devices ADD COLUMN totp_secret_enc BLOB;
ALTER TABLE devices ADD COLUMN totp_last_step INTEGER;
CREATE UNIQUE INDEX devices_connect_id ON devices (connect_id) WHERE connect_id IS NOT NULL;
CREATE TABLE lockouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'address')),
  subject TEXT NOT NULL,
  failures INTEGER NOT NULL,
  locked_at TEXT NOT NULL,
  until TEXT NOT NULL,
  cleared_at TEXT,
  cleared_by TEXT
) STRICT;
CREATE INDEX lockouts_subject ON lockouts (kind, subject);
CREATE TABLE edge_replies (
  idempotency_key TEXT PRIMARY KEY,
  call TEXT NOT NULL,
  input_sha256 TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
`,
};
