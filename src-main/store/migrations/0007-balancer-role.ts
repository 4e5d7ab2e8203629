// Migration 7: a third agent role, the balancer of lb-mode locations, may hold certificates.
// SQLite cannot change a CHECK constraint in place, so the table is rebuilt (same columns,
// same rows, same ids).
import type { Migration } from './migration.js';

export const m0007BalancerRole: Migration = {
  version: 7,
  name: 'balancer-role',
  sql: `
CREATE TABLE certificates_v7 (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  host_id INTEGER REFERENCES hosts (id) ON DELETE SET NULL,
  role TEXT CHECK (role IN ('gateway', 'edge', 'balancer')),
  cert_pem TEXT NOT NULL,
  key_enc BLOB NOT NULL,
  not_before TEXT NOT NULL,
  not_after TEXT NOT NULL,
  revoked_at TEXT,
  revoke_reason TEXT,
  created_at TEXT NOT NULL
) STRICT;
INSERT INTO certificates_v7 SELECT id, serial, subject, host_id, role, cert_pem, key_enc, not_before, not_after, revoked_at, revoke_reason, created_at FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_v7 RENAME TO certificates;
CREATE INDEX certificates_subject ON certificates (subject);
`,
};
