// Migration 4: the networks behind a location's gateways that devices reach through it
// (a JSON array of CIDRs; added to the clients' AllowedIPs).
import type { Migration } from './migration.js';

export const m0004LocationRoutes: Migration = {
  version: 4,
  name: 'location-routes',
  sql: `ALTER TABLE locations ADD COLUMN routes TEXT NOT NULL DEFAULT '[]';`,
};
