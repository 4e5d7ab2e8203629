// Migration 3: Core's CA and the certificates it issued (agents' server certificates and Core's
// client certificate for the control link). Private keys are sealed (AES-256-GCM) by Core.
import type { Migration } from './migration.js';

export const m0003Pki: Migration = {
  version: 3,
  name: 'pki',
  sql: `
CREATE TABLE ca (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  cert_pem TEXT NOT NULL,
  key_enc BLOB NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE certificates (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  -- "core", or the agent: "gateway:<host>" / "edge:<host>"
  subject TEXT NOT NULL,
  host_id INTEGER REFERENCES hosts (id) ON DELETE SET NULL,
  role TEXT CHECK (role IN ('gateway', 'edge')),
  cert_pem TEXT NOT NULL,
  key_enc BLOB NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  revoked_at TEXT,
  revoke_reason TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX certificates_subject ON certificates (subject);
`,
};
