// Files kept for one download, on a real file system: delivered once, and refused (and removed)
// once their hour is over, also when no later export or backup swept them.
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { tempDir } from '../../test/helpers/server.js';
import { OnceDownloads } from './once-downloads.js';

const tmp = tempDir('bulwark-once-');
afterAll(() => tmp[Symbol.dispose]());

describe('once downloads', () => {
  test('a file waits until it is discarded, and an hour at most', () => {
    const d = new OnceDownloads(join(tmp.dir, 'backups'), '.bulwark-backup', '.snapshot-');
    const fresh = d.pathFor('aaaaaaaa-1');
    const old = d.pathFor('bbbbbbbb-2');
    writeFileSync(fresh, 'x');
    writeFileSync(old, 'yy');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    expect(d.file('aaaaaaaa-1')).toEqual({ path: fresh, size: 1 });
    expect(d.file('bbbbbbbb-2')).toBeNull();
    expect(existsSync(old)).toBe(false);
    d.discard('aaaaaaaa-1');
    expect(d.file('aaaaaaaa-1')).toBeNull();
    expect(d.file('../etc/passwd')).toBeNull();
  });
});
