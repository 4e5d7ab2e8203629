// Migration 9: beside the actor a client claims (x-bulwark-actor), each event records what
// the server itself knew of the caller: its transport and peer address ("http 127.0.0.1:53122").
// Events from before it have '' (not known); the table is append-only, so none is backfilled.
import type { Migration } from './migration.js';

export const m0009EventOrigin: Migration = {
  version: 9,
  name: 'event-origin',
  sql: `
ALTER TABLE events ADD COLUMN origin TEXT NOT NULL DEFAULT '';
`,
};
