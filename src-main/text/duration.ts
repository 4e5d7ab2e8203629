// How long something took, for people: "340 ms", "2.1 s", "3 min 5 s". Pure, no imports.

/** Milliseconds below a second, seconds with one decimal below a minute, then minutes and seconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}
