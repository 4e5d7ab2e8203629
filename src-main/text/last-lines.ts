// The tail of a command's output that a failure shows: the last n lines that say something,
// trailing blanks trimmed. Pure, shared by Core and the programs on a host.

export function lastLines(text: string, n = 20, drop?: RegExp): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.trim().length > 0 && !(drop && drop.test(l)))
    .slice(-n);
}
