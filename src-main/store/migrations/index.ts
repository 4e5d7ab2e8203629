// Numbered migrations, applied in order at start, each in its own transaction.
// Never edit a released migration: add the next number. store/schema.sql is the target.
// 0001 was first released with 0.1.0 (2026-11-25); test/fixtures/db/bulwark-0.1.0.sql holds it.
import { m0001Init } from './0001-init.js';
import { m0002HostProvisioned } from './0002-host-provisioned.js';
import { m0003Pki } from './0003-pki.js';
import { m0004LocationRoutes } from './0004-location-routes.js';
import { m0005Sessions } from './0005-sessions.js';
import { m0006Failover } from './0006-failover.js';
import { m0007BalancerRole } from './0007-balancer-role.js';
import { m0008LbFailback } from './0008-lb-failback.js';
import { m0009EventOrigin } from './0009-event-origin.js';
import { m0010DeviceNamesNfc } from './0010-device-names-nfc.js';
import { m0011Edge } from './0011-edge.js';
import { m0012Failovers } from './0012-failovers.js';
import { m0013DeviceEnabled } from './0013-device-enabled.js';
import { m0014EventRuns } from './0014-event-runs.js';
import { m0015Bundles } from './0015-bundles.js';
import { m0016BundleKeyRotations } from './0016-bundle-key-rotations.js';

import type { Migration } from './migration.js';

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [m0001Init, m0002HostProvisioned, m0003Pki, m0004LocationRoutes, m0005Sessions, m0006Failover, m0007BalancerRole, m0008LbFailback, m0009EventOrigin, m0010DeviceNamesNfc, m0011Edge, m0012Failovers, m0013DeviceEnabled, m0014EventRuns, m0015Bundles, m0016BundleKeyRotations];
