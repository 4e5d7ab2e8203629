// Migration 8: lb mode's failback policy. 'auto' puts a gateway that passes its checks again
// back into rotation (its former clients move back, each waiting out a re-handshake); 'manual'
// keeps it out until the admin releases it. NULL outside lb mode.
import type { Migration } from './migration.js';

export const m0008LbFailback: Migration = {
  version: 8,
  name: 'lb-failback',
  sql: `
ALTER TABLE locations ADD COLUMN failover_lb_failback TEXT CHECK (failover_lb_failback IN ('auto', 'manual'));
UPDATE locations SET failover_lb_failback = 'auto' WHERE failover_mode = 'lb';
`,
};
