// Migration 6: failover per location (VRRP floating IP or a UDP load balancer), and each
// host's LAN as its last check saw it (the interface and address that carry its SSH address),
// which the floating IP must sit in.
import type { Migration } from './migration.js';

export const m0006Failover: Migration = {
  version: 6,
  name: 'failover',
  sql: `
ALTER TABLE locations ADD COLUMN failover_mode TEXT NOT NULL DEFAULT 'none' CHECK (failover_mode IN ('none', 'vrrp', 'lb'));
ALTER TABLE locations ADD COLUMN failover_vip TEXT;
ALTER TABLE locations ADD COLUMN failover_interface TEXT;
ALTER TABLE locations ADD COLUMN failover_advert_cs INTEGER CHECK (failover_advert_cs BETWEEN 1 AND 25500);
ALTER TABLE locations ADD COLUMN failover_unicast INTEGER NOT NULL DEFAULT 0 CHECK (failover_unicast IN (0, 1));
ALTER TABLE locations ADD COLUMN failover_router_id INTEGER CHECK (failover_router_id BETWEEN 1 AND 255);
ALTER TABLE locations ADD COLUMN failover_lb_host_id INTEGER REFERENCES hosts (id) ON DELETE RESTRICT;
ALTER TABLE hosts ADD COLUMN lan_interface TEXT;
ALTER TABLE hosts ADD COLUMN lan_address TEXT;
`,
};
