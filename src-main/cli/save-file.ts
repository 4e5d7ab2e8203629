// Files the CLI saves from Core (a bundle, a backup) and the passphrase files it reads.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { BulwarkError } from '../contract/index.js';

/** The first line of a passphrase file (the field is "passphrase" in Core's words). */
export function readPassphrase(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw BulwarkError.field('passphrase', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a file whose first line is the passphrase`);
  }
}

/** Writes through a temporary name created 0600, then renames: a half-written file never has the final name. */
export async function saveOnce(download: (write: (b: Buffer) => void) => Promise<number>, out: string): Promise<void> {
  const part = `${out}.part-${process.pid}`;
  const fd = openSync(part, 'wx', 0o600);
  try {
    await download((b) => {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
    });
    closeSync(fd);
    renameSync(part, out);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    rmSync(part, { force: true });
    throw err;
  }
}
