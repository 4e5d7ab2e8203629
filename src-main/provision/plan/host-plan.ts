// What must change on one host: the desired files and units against what the host has. Pure.
import { structuredPatch } from 'diff';
import { DIFF_LINE_CAP, type FileChange, type FileKind, type HostManifest, type UnitChange } from '../../contract/index.js';
import type { DesiredFile, DesiredHost } from './desired-state.js';
import { HOST_CONFIG_DIR, HOST_RUNTIME, HOST_UNIT_DIR } from '../../contract/host-layout.js';

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

function differs(f: DesiredFile, seen: ObservedFile | undefined): boolean {
  return seen === undefined || seen.sha256 !== f.sha256 || seen.mode !== f.mode;
}

/** Config files that changed and may be shown: the plan fetches their current text for a diff. */
export function configsToDiff(desired: DesiredHost, observed: ObservedHost): string[] {
  return desired.files.filter((f) => (f.kind === 'config' || f.kind === 'unit') && !f.secret && observed.files.has(f.path) && differs(f, observed.files.get(f.path))).map((f) => f.path);
}

/** A unified diff (2 lines of context), cut at DIFF_LINE_CAP lines: the CLI and the UI decide how much to show. */
export function shortDiff(path: string, before: string, after: string): string {
  const patch = structuredPatch(path, path, before, after, '', '', { context: 2 });
  const lines = [`--- ${path}`, `+++ ${path}`];
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.filter((l) => !l.startsWith('\\')));
  }
  if (lines.length === 2) lines.push('(only the file mode differs)');
  if (lines.length > DIFF_LINE_CAP) return [...lines.slice(0, DIFF_LINE_CAP), `… ${lines.length - DIFF_LINE_CAP} more lines`].join('\n');
  return lines.join('\n');
}

export interface PlanOptions {
  /** Restart every desired unit that runs, even where nothing changed (after a package upgrade). */
  restartAll?: boolean;
}

export function planChanges(desired: DesiredHost, observed: ObservedHost, currentTexts: Map<string, string> = new Map(), opts: PlanOptions = {}): HostChanges {
  const files: FileChange[] = [];
  const write: DesiredFile[] = [];
  for (const f of desired.files) {
    const seen = observed.files.get(f.path);
    if (!differs(f, seen)) continue;
    write.push(f);
    let diff: string | null = null;
    if (!f.secret && f.source.kind === 'text') {
      const before = currentTexts.get(f.path);
      if (seen === undefined) diff = shortDiff(f.path, '', f.source.text);
      else if (before !== undefined) diff = shortDiff(f.path, before, f.source.text);
      if (seen !== undefined && seen.mode !== f.mode) diff = `${diff ? `${diff}\n` : ''}mode ${seen.mode.toString(8)} -> ${f.mode.toString(8)}`;
    }
    files.push({ path: f.path, action: seen ? 'change' : 'add', kind: f.kind, size: f.source.kind === 'pending' ? null : f.size, diff, secret: f.secret });
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
