// Files Core makes for one download and no longer: an exported bundle, a backup. Each waits in
// its directory of the data dir (0600) until the client fetched it, or an hour passed (then it
// is refused, and removed when asked for or at the next sweep).
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const ID = /^[a-z0-9-]{8,64}$/;
/** How long a file waits for its download. */
const KEEP_MS = 60 * 60 * 1000;

/** One kind of download (DownloadKind) as the transports serve it: a GET, or a save dialog. */
export interface DownloadSource {
  file(id: string): { path: string; size: number } | null;
  /** Called once the file was delivered. */
  discard(id: string): void;
  /** The name a saved file gets. */
  fileName(id: string): string;
  contentType: string;
  /** What the admin is told when `id` waits no longer. */
  missing(id: string): string;
}

export class OnceDownloads {
  constructor(
    readonly dir: string,
    /** The file name's ending after the id, such as ".tar.gz". */
    private readonly suffix: string,
    /** Scratch entries of work that died, swept with the files (such as ".build-"). */
    private readonly scratchPrefix: string,
  ) {}

  /** Where the file of `id` is written (the directory made 0700 if new). */
  pathFor(id: string): string {
    if (!ID.test(id)) throw new Error(`invariant failed: download id ${JSON.stringify(id)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return join(this.dir, `${id}${this.suffix}`);
  }

  /** The file, until it is downloaded or its hour is over (then it is removed); null when there is none (any more). */
  file(id: string, now = Date.now()): { path: string; size: number } | null {
    if (!ID.test(id)) return null;
    const path = join(this.dir, `${id}${this.suffix}`);
    if (!existsSync(path)) return null;
    const st = lstatSync(path);
    if (st.mtimeMs < now - KEEP_MS) {
      rmSync(path, { force: true });
      return null;
    }
    return { path, size: st.size };
  }

  discard(id: string): void {
    if (ID.test(id)) rmSync(join(this.dir, `${id}${this.suffix}`), { force: true });
  }

  /** Removes files nobody fetched within the hour, and scratch left by work that died. */
  sweep(now = Date.now()): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      if ((name.endsWith(this.suffix) || name.startsWith(this.scratchPrefix)) && lstatSync(path).mtimeMs < now - KEEP_MS) rmSync(path, { recursive: true, force: true });
    }
  }
}
