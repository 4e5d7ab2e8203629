// text/: how Bulwark writes values for people (sizes, the tail of a command's output). Pure,
// with no imports, so Core, the CLI, the renderer and the programs on a host all share it.

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** "512 B", "1.5 KiB", "230.0 MiB": binary units, one decimal above a kibibyte. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}
