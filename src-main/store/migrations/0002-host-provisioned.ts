// Migration 2: when Bulwark last installed its agents on a host (null: never, or uninstalled).
// A host that lost its roles is still provisioned, so a plain apply goes there to clean up.
import type { Migration } from './migration.js';

export const m0002HostProvisioned: Migration = {
  version: 2,
  name: 'host-provisioned',
  sql: `ALTER TABLE hosts ADD COLUMN provisioned_at TEXT;`,
};
