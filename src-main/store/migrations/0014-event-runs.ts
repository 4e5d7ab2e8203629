// Migration 14: find a provisioning run's events, and the newest runs, without reading the
// whole (append-only, ever-growing) audit trail: events by kind, and provision.* by run.
import type { Migration } from './migration.js';

export const m0014EventRuns: Migration = {
  version: 14,
  name: 'event-runs',
  sql: `
CREATE INDEX events_kind ON events (kind, id);
CREATE INDEX events_run ON events (json_extract(details, '$.run'), id) WHERE kind GLOB 'provision.*';
`,
};
