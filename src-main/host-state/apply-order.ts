// The work order host-apply carries out (order.json), from a host's desired state and its
// changes: the same for an apply over SSH and an offline bundle's install. Pure.
import { VERSION, type HostApplyOrder, type HostManifest } from '../contract/index.js';
import { HOST_BACKUP_DIR, HOST_MANIFEST, HOST_STAGING_DIR, agentStateDir, hostDirsFor } from '../contract/host-layout.js';
import type { HostChanges } from './changes.js';
import type { DesiredHost } from './desired.js';

export interface OrderInput {
  desired: DesiredHost;
  changes: HostChanges;
  /** The run's id (an apply's, or a bundle's): names the staging and backup directories. */
  run: string;
  /** The floating IPs this host gives up before its units restart (rolling order); null: none. */
  handover: HostApplyOrder['handover'];
  /** When this is written down as applied (Core's clock). */
  appliedAt: string;
  /** When Core made this desired state (an apply's start, a bundle's export). */
  madeAt: string;
  /** The bundle that carries it, for an offline install. */
  bundle?: { id: string; createdAt: string };
}

/** The staging directory of a run: where the new files wait for host-apply. */
export function stagingDir(run: string): string {
  return `${HOST_STAGING_DIR}/${run}`;
}

/** The file name each written file has in staging (f0, f1, …), in install order. */
export function stagedName(index: number): string {
  return `f${index}`;
}

export function applyOrder(i: OrderInput): HostApplyOrder {
  const c = i.changes;
  const dirs = hostDirsFor(i.desired.files.map((f) => f.path));
  const manifest: HostManifest = {
    version: 1,
    run: i.run,
    appliedAt: i.appliedAt,
    files: i.desired.files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })),
    units: i.desired.units.map((u) => u.unit),
    dirs: dirs.map((d) => d.path),
    bulwarkVersion: VERSION,
    madeAt: i.madeAt,
    ...(i.bundle ? { bundle: i.bundle } : {}),
  };
  return {
    run: i.run,
    staging: stagingDir(i.run),
    backup: `${HOST_BACKUP_DIR}/${i.run}`,
    install: c.write.map((f, n) => ({ path: f.path, staged: stagedName(n), mode: f.mode, sha256: f.sha256 })),
    remove: c.remove,
    dirs,
    stateDirs: i.desired.units.flatMap((u) => (u.role ? [agentStateDir(u.role)] : [])),
    units: {
      reload: c.reload,
      start: c.units.filter((u) => u.action === 'start').map((u) => u.unit),
      restart: c.units.filter((u) => u.action === 'restart').map((u) => u.unit),
      refresh: c.units.filter((u) => u.action === 'reload').map((u) => u.unit),
      stop: c.units.filter((u) => u.action === 'stop').map((u) => u.unit),
    },
    handover: i.handover,
    verify: i.desired.units
      .filter((u) => c.units.some((x) => x.unit === u.unit && x.action !== 'stop') || (i.handover !== null && u.role === 'gateway'))
      .map((u) => ({ unit: u.unit, url: u.healthUrl, configPath: u.configPath, configSha256: u.configSha256, vrrpRoles: u.role === 'gateway' && i.handover !== null })),
    verifyTimeoutS: 20,
    manifest: { path: HOST_MANIFEST, content: `${JSON.stringify(manifest, null, 2)}\n` },
  };
}
