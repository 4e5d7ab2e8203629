// Migration 15: offline bundles. What a host is (its OS release and architecture, recorded by
// host check or given by the admin), which a bundle must match; and each bundle exported, with
// the files it installs, which an upgrade bundle is made against.
import type { Migration } from './migration.js';

export const m0015Bundles: Migration = {
  version: 15,
  name: 'bundles',
  sql: `
ALTER TABLE hosts ADD COLUMN os_id TEXT;
ALTER TABLE hosts ADD COLUMN os_version TEXT;
ALTER TABLE hosts ADD COLUMN arch TEXT;
CREATE TABLE bundle_exports (
  id TEXT PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  not_after TEXT NOT NULL,
  -- JSON: [{path, sha256, mode}] of every file the bundle installs.
  files TEXT NOT NULL,
  upgrade_of TEXT
) STRICT;
CREATE INDEX bundle_exports_host ON bundle_exports (host_id, created_at);
`,
};
