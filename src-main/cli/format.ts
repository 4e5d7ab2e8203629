// Human output of the CLI: tables and key/value blocks that no stored value can break.

/** Shows control characters as escapes, so a value can never add lines or move the cursor. */
export function safe(value: unknown): string {
  const s = value === null || value === undefined ? '-' : String(value);
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '';
  // Columns are split by two spaces, so a value holding two spaces is quoted to stay one cell.
  const cells = rows.map((r) => r.map((v) => (/\s{2}|^\s|\s$/.test(safe(v)) ? JSON.stringify(safe(v)) : safe(v))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export function keyValues(pairs: [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${safe(v)}`).join('\n') + '\n';
}
