// How long something took, for people: "340 ms", "2.1 s", "3 min 5 s"; and how long ago, in
// its two largest units: "12 s", "3 h 2 min", "4 d 3 h". Pure, no imports.

/** Milliseconds below a second, seconds with one decimal below a minute, then minutes and seconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** An age in its two largest units, whole: "12 s", "5 min 3 s", "3 h 2 min", "4 d 3 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const units: [number, string][] = [[86_400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  const i = units.findIndex(([n]) => s >= n);
  if (i === -1) return '0 s';
  const [big, bigName] = units[i]!;
  const next = units[i + 1];
  const rest = next ? Math.floor((s % big) / next[0]) : 0;
  return next && rest > 0 ? `${Math.floor(s / big)} ${bigName} ${rest} ${next[1]}` : `${Math.floor(s / big)} ${bigName}`;
}
