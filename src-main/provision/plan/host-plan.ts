// What must change on one host: the desired files and units against what the host has. Pure.
import { structuredPatch } from 'diff';
import { DIFF_LINE_CAP } from '../../contract/index.js';
import type { DesiredHost } from '../../host-state/desired.js';
import { changesOf, differs, type ChangeOptions, type HostChanges, type ObservedHost } from '../../host-state/changes.js';

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

/** What must change, with a diff for each text file a person may see. */
export function planChanges(desired: DesiredHost, observed: ObservedHost, currentTexts: Map<string, string> = new Map(), opts: ChangeOptions = {}): HostChanges {
  const c = changesOf(desired, observed, opts);
  const byPath = new Map(c.write.map((f) => [f.path, f]));
  const files = c.files.map((change) => {
    const f = byPath.get(change.path);
    if (!f || f.secret || f.source.kind !== 'text') return change;
    const seen = observed.files.get(f.path);
    let diff: string | null = null;
    const before = currentTexts.get(f.path);
    if (seen === undefined) diff = shortDiff(f.path, '', f.source.text);
    else if (before !== undefined) diff = shortDiff(f.path, before, f.source.text);
    if (seen !== undefined && seen.mode !== f.mode) diff = `${diff ? `${diff}\n` : ''}mode ${seen.mode.toString(8)} -> ${f.mode.toString(8)}`;
    return { ...change, diff };
  });
  return { ...c, files };
}
