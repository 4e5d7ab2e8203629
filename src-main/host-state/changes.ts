// What must change on one host: the desired files and units against what the host has. Pure.
// Core's plan adds diffs for people (provision/plan/host-plan.ts); the bundle installer uses it
// as it is.
import type { FileChange, FileKind, HostManifest, UnitChange } from '../contract/index.js';
import { HOST_CONFIG_DIR, HOST_RUNTIME, HOST_UNIT_DIR } from '../contract/host-layout.js';
import type { DesiredFile, DesiredHost } from './desired.js';

export interface ObservedFile {
  sha256: string;
  mode: number;
}

export interface ObservedHost {
  /** Files that exist, among the paths asked about. */
  files: Map<string, ObservedFile>;
  manifest: HostManifest | null;
  /** Bulwark units that are active now. */
  activeUnits: Set<string>;
}

export interface HostChanges {
  files: FileChange[];
  units: UnitChange[];
  /** Desired files to write, in install order. */
  write: DesiredFile[];
  remove: string[];
  /** True when a unit file is written or removed (systemd must reload). */
  reload: boolean;
}

export interface ChangeOptions {
  /** Restart every desired unit that runs, even where nothing changed (after a package upgrade). */
  restartAll?: boolean;
}

/** Paths whose state the plan needs: everything desired plus everything Bulwark installed before. */
export function pathsToInspect(desired: DesiredHost, manifest: HostManifest | null): string[] {
  return [...new Set([...desired.files.map((f) => f.path), ...(manifest?.files.map((f) => f.path) ?? [])])];
}

export function kindOfPath(path: string): FileKind {
  if (path === HOST_RUNTIME) return 'runtime';
  if (path.startsWith(`${HOST_UNIT_DIR}/`)) return 'unit';
  if (path.startsWith(`${HOST_CONFIG_DIR}/`)) return path.endsWith('.key') ? 'key' : path.endsWith('.pem') ? 'certificate' : 'config';
  return 'program';
}

export function differs(f: DesiredFile, seen: ObservedFile | undefined): boolean {
  return seen === undefined || seen.sha256 !== f.sha256 || seen.mode !== f.mode;
}

/** The files to write and remove, and what each unit must do; file changes carry no diff. */
export function changesOf(desired: DesiredHost, observed: ObservedHost, opts: ChangeOptions = {}): HostChanges {
  const files: FileChange[] = [];
  const write: DesiredFile[] = [];
  for (const f of desired.files) {
    const seen = observed.files.get(f.path);
    if (!differs(f, seen)) continue;
    write.push(f);
    files.push({ path: f.path, action: seen ? 'change' : 'add', kind: f.kind, size: f.source.kind === 'pending' ? null : f.size, diff: null, secret: f.secret });
  }
  const wanted = new Set(desired.files.map((f) => f.path));
  const remove = (observed.manifest?.files ?? []).map((f) => f.path).filter((p) => !wanted.has(p) && observed.files.has(p));
  for (const path of remove) files.push({ path, action: 'remove', kind: kindOfPath(path), size: 0, diff: null, secret: false });

  const changed = new Set([...write.map((f) => f.path), ...remove]);
  const units: UnitChange[] = [];
  const desiredUnits = new Set(desired.units.map((u) => u.unit));
  for (const unit of observed.manifest?.units ?? []) {
    if (!desiredUnits.has(unit)) units.push({ unit, action: 'stop' });
  }
  for (const u of desired.units) {
    const active = observed.activeUnits.has(u.unit);
    const touched = u.dependsOn.filter((p) => changed.has(p));
    if (!active) units.push({ unit: u.unit, action: 'start' });
    else if (opts.restartAll || touched.some((p) => !u.reloadOn.includes(p))) units.push({ unit: u.unit, action: 'restart' });
    else if (touched.length > 0) units.push({ unit: u.unit, action: 'reload' });
  }
  const reload = [...changed].some((p) => kindOfPath(p) === 'unit');
  return { files, units, write, remove, reload };
}

export function isUpToDate(c: HostChanges): boolean {
  return c.files.length === 0 && c.units.length === 0;
}
