// Issue #11 (part 3): a data dir, or a file in it, that another user made is refused, as are
// symbolic links and a master key of zeros. Planting needs another uid, so these run as root
// (chown to 65534, "nobody") and are skipped, by name, otherwise.
import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { connect } from '../../src-main/cli/connect.js';
import { serve } from '../../src-main/serve.js';
import { startInProcess, tempDir } from '../helpers/server.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const PLANTED_TOKEN = 'a'.repeat(43);

const startOn = (dataDir: string) => serve({ dataDir, listen: '127.0.0.1:0', log: pino({ level: 'silent' }) });

/** A private data dir with a token and an all-zero key, as an attacker would leave one. */
function plantedDir(base: string): string {
  const dir = join(base, 'data');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'token'), PLANTED_TOKEN, { mode: 0o600 });
  writeFileSync(join(dir, 'secret.key'), Buffer.alloc(32), { mode: 0o600 });
  return dir;
}

describe.skipIf(!asRoot)('a data dir planted by another user (needs root to chown)', () => {
  test('a dir owned by another uid is refused, naming the dir and the fix', async () => {
    using tmp = tempDir();
    const dir = plantedDir(tmp.dir);
    chownSync(dir, NOBODY, NOBODY);
    await expect(startOn(dir)).rejects.toThrow(new RegExp(`--data-dir: ${dir} belongs to uid ${NOBODY}, not to the user running Bulwark \\(uid 0\\).*run "chown -R 0 ${dir}"`));
  });

  test('a token file owned by another uid, in our own dir, is refused', async () => {
    using tmp = tempDir();
    const dir = plantedDir(tmp.dir);
    chownSync(join(dir, 'token'), NOBODY, NOBODY);
    await expect(startOn(dir)).rejects.toThrow(new RegExp(`--data-dir: ${dir}/token belongs to uid ${NOBODY}`));
  });

  test('a server.json in a dir another uid owns does not send the CLI (and its token) anywhere', async () => {
    using tmp = tempDir();
    const dir = plantedDir(tmp.dir);
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ url: 'http://127.0.0.1:1', pid: 1 }));
    chownSync(dir, NOBODY, NOBODY);
    expect(() => connect({ dataDir: dir })).toThrow(new RegExp(`--data-dir: ${dir} belongs to uid ${NOBODY}`));
  });

  test('a server.json another uid owns, in our own dir, is refused too', async () => {
    using tmp = tempDir();
    const dir = plantedDir(tmp.dir);
    writeFileSync(join(dir, 'server.json'), JSON.stringify({ url: 'http://127.0.0.1:1', pid: 1 }));
    chownSync(join(dir, 'server.json'), NOBODY, NOBODY);
    expect(() => connect({ dataDir: dir })).toThrow(new RegExp(`${dir}/server.json belongs to uid ${NOBODY}`));
  });
});

describe('links and keys in the data dir', () => {
  test('a token that is a symbolic link is refused, and its target is not chmodded', async () => {
    using tmp = tempDir();
    const dir = join(tmp.dir, 'data');
    mkdirSync(dir, { mode: 0o700 });
    const target = join(tmp.dir, 'elsewhere');
    writeFileSync(target, PLANTED_TOKEN, { mode: 0o644 });
    chmodSync(target, 0o644);
    symlinkSync(target, join(dir, 'token'));
    await expect(startOn(dir)).rejects.toThrow(new RegExp(`--data-dir: ${dir}/token is a symbolic link.*replace it with the file itself`));
    expect(statSync(target).mode & 0o777).toBe(0o644);
  });

  test('a server.json that is a symbolic link is refused by the CLI', async () => {
    using tmp = tempDir();
    const dir = join(tmp.dir, 'data');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(tmp.dir, 'elsewhere.json'), JSON.stringify({ url: 'http://127.0.0.1:1', pid: 1 }));
    symlinkSync(join(tmp.dir, 'elsewhere.json'), join(dir, 'server.json'));
    expect(() => connect({ dataDir: dir })).toThrow(new RegExp(`${dir}/server.json is a symbolic link`));
  });

  test('an all-zero secret.key is refused, naming the file and the fix', async () => {
    using tmp = tempDir();
    const dir = plantedDir(tmp.dir);
    await expect(startOn(dir)).rejects.toThrow(new RegExp(`${dir}/secret.key is all zeros, which is no key; restore secret.key from a backup`));
  });

  test('our own data dir still starts, and the CLI still finds its server', async () => {
    await using srv = await startInProcess();
    const c = connect({ dataDir: srv.dataDir });
    expect(c.url).toBe(srv.url);
    expect(await c.call('locations.list', {})).toEqual([]);
  });
});
