// The client dir on a real file system: what serve publishes is readable by the directory's
// group even under the service's umask 077, a world-writable directory is refused, and the CLI
// ignores files others could have planted or changed.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { clientDirPaths, publishClientDir, readClientDir } from './client-dir.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const newDir = (mode = 0o750) => {
  const d = mkdtempSync(join(tmpdir(), 'bulwark-client-dir-'));
  chmodSync(d, mode);
  dirs.push(d);
  return d;
};

test('published 0640 under umask 077, read back, and the address gone at stop', () => {
  const dir = newDir();
  const old = process.umask(0o077);
  let unpublish: () => void;
  try {
    unpublish = publishClientDir(dir, { url: 'http://127.0.0.1:7420', pid: 1 }, 'a'.repeat(43));
  } finally {
    process.umask(old);
  }
  const p = clientDirPaths(dir);
  expect([statSync(p.server).mode & 0o777, statSync(p.token).mode & 0o777]).toEqual([0o640, 0o640]);
  expect(readClientDir(dir)).toEqual({ url: 'http://127.0.0.1:7420', token: 'a'.repeat(43) });
  unpublish();
  expect(readClientDir(dir)).toBeUndefined();
});

test('a world-writable directory is refused by serve and ignored by the CLI; so is a file others may write', () => {
  const open = newDir(0o777);
  expect(() => publishClientDir(open, { url: 'http://127.0.0.1:1', pid: 1 }, 'x'.repeat(43))).toThrow(/writable by every user/);
  writeFileSync(join(open, 'server.json'), '{"url":"http://evil.example"}');
  writeFileSync(join(open, 'token'), 'x'.repeat(43));
  expect(readClientDir(open)).toBeUndefined();
  const dir = newDir();
  publishClientDir(dir, { url: 'http://127.0.0.1:7420', pid: 1 }, 'b'.repeat(43));
  chmodSync(clientDirPaths(dir).server, 0o666);
  expect(readClientDir(dir)).toBeUndefined();
});
