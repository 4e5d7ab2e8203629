// The token and the secret key from files outside the data dir (BULWARK_TOKEN_FILE,
// BULWARK_SECRET_KEY_FILE), as a Kubernetes Secret mounts them: the built CLI's serve uses them
// and writes neither into the data dir; the CLI beside it finds the token the same way. A key
// file others can read, and a key that is not the data dir's own (or not the database's, when
// the data dir has no key of its own), are refused by name.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli, startChild, tempDir } from '../helpers/server.js';

const tmp = tempDir('bulwark-external-secrets-');
afterAll(() => tmp[Symbol.dispose]());

function secretFile(name: string, content: Buffer | string, mode = 0o440): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('secrets from outside the data dir', () => {
  test('serve and the CLI use them; nothing of them is written into the data dir', async () => {
    const dataDir = join(tmp.dir, 'data');
    const env = { BULWARK_TOKEN_FILE: secretFile('token', `${randomBytes(32).toString('base64url')}\n`), BULWARK_SECRET_KEY_FILE: secretFile('secret.key', randomBytes(32)) };
    const server = await startChild(dataDir, [], env);
    try {
      const add = await runCli(['--data-dir', dataDir, 'location', 'add', 'hq', '--network', '10.75.0.0/24', '--endpoint', 'vpn.example.com'], env);
      expect(add.code, add.stderr).toBe(0);
      expect(existsSync(join(dataDir, 'token'))).toBe(false);
      expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
      // Without the variable the CLI looks for the data dir's token, which is not there.
      const without = await runCli(['--data-dir', dataDir, 'location', 'list'], { BULWARK_TOKEN_FILE: '' });
      expect(without.code).toBe(2);
      expect(without.stderr).toMatch(/token is missing/);
    } finally {
      await server.stop();
    }
    // Restarted with the same Secret: the location's WireGuard key opens (the same secret key).
    const again = await startChild(dataDir, [], env);
    try {
      const show = await runCli(['--data-dir', dataDir, 'location', 'show', 'hq'], env);
      expect(show.code, show.stderr).toBe(0);
    } finally {
      await again.stop();
    }
    // A regenerated Secret (another key) on the same volume: refused at start, before Core
    // uses it, and the database is left as it was.
    const wrong = await runCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { ...env, BULWARK_SECRET_KEY_FILE: secretFile('regenerated.key', randomBytes(32)) }, 20_000);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/the secret key is not the one this database was made with.*give the secret\.key that was backed up with this bulwark\.db/);
    const after = await startChild(dataDir, [], env);
    try {
      expect((await runCli(['--data-dir', dataDir, 'location', 'show', 'hq'], env)).code).toBe(0);
    } finally {
      await after.stop();
    }
  });

  test('a key file others can read, and a key that is not the data dir\'s, are refused', async () => {
    const dataDir = join(tmp.dir, 'own');
    const own = await startChild(dataDir);
    await own.stop();
    const open = await runCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { BULWARK_SECRET_KEY_FILE: secretFile('open.key', randomBytes(32), 0o644) }, 20_000);
    expect(open.code).not.toBe(0);
    expect(open.stderr).toMatch(/BULWARK_SECRET_KEY_FILE: \S+open\.key can be read or written by every user \(mode 644\)/);
    const other = await runCli(['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { BULWARK_SECRET_KEY_FILE: secretFile('other.key', randomBytes(32)) }, 20_000);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/other\.key \(BULWARK_SECRET_KEY_FILE\) is not the key of this data dir/);
  });
});
