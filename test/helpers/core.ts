// Core's services on a real SQLite file in a throwaway directory, without HTTP: for service
// tests. `cleanups` is the test file's list, emptied in its afterEach.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BulwarkError } from '../../src-main/contract/index.js';
import { createCore, type Core } from '../../src-main/system/system.js';
import { tempDir } from './server.js';

export function coreOnDisk(cleanups: (() => void)[], masterKey: Buffer = randomBytes(32)): { core: Core; dir: string } {
  const t = tempDir();
  const core = createCore({ dbFile: join(t.dir, 'bulwark.db'), masterKey });
  cleanups.push(() => {
    core.close();
    t[Symbol.dispose]();
  });
  return { core, dir: t.dir };
}

/** The BulwarkError a call fails with; fails the test if it succeeds. */
export async function failure(p: Promise<unknown>): Promise<BulwarkError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BulwarkError);
    return err as BulwarkError;
  }
  throw new Error('expected the call to fail');
}
