// Backup and restore with the built CLI and a real `bulwark serve`: a backup taken while a
// client keeps adding devices, restored into a new data dir and served from there. No write
// acknowledged before the backup began is lost; the restored Core has the same CA, token and
// WireGuard keys. Bad input (a wrong passphrase, a changed byte, a data dir in use) is refused
// by name, and nothing is written.
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { runCli, startChild, tempDir } from '../helpers/server.js';

const tmp = tempDir('bulwark-cli-backup-');
afterAll(() => tmp[Symbol.dispose]());

describe('bulwark backup and restore', () => {
  test('a backup under a write loop, restored elsewhere: every write acknowledged before it is there', async () => {
    const dataDir = join(tmp.dir, 'data');
    const server = await startChild(dataDir);
    const api = new HttpClient({ url: server.url, token: readFileSync(join(dataDir, 'token'), 'utf8').trim(), actor: 'test' });
    await api.call('locations.create', { name: 'hq', network: '10.77.0.0/16', endpoint: 'vpn.example.com' });
    const location = await api.call('locations.get', { name: 'hq' });
    const pass = join(tmp.dir, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n');
    const file = join(tmp.dir, 'core.bulwark-backup');

    // The write loop: one device after another, each noted once acknowledged.
    const acked: { name: string; at: number }[] = [];
    let writing = true;
    const loop = (async () => {
      for (let i = 0; writing; i++) {
        await api.call('devices.add', { location: 'hq', name: `d${i}` });
        acked.push({ name: `d${i}`, at: Date.now() });
      }
    })();
    try {
      while (acked.length < 50) await new Promise((r) => setTimeout(r, 20));
      const began = Date.now();
      const backup = await runCli(['--data-dir', dataDir, 'backup', '-o', file, '--passphrase-file', pass]);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toMatch(/snapshot in \d+ ms, Core serving throughout/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      writing = false;
      await loop;
      const before = acked.filter((a) => a.at < began).map((a) => a.name);
      console.log(`${before.length} devices acknowledged before the backup began, ${acked.length} in all`);

      // Core keeps it for that one download.
      const again = await runCli(['--data-dir', dataDir, 'backup', '-o', join(tmp.dir, 'second'), '--passphrase-file', pass]);
      expect(again.code).toBe(0);
      // A wrong passphrase and a changed byte are refused, and nothing is written.
      const wrongPass = join(tmp.dir, 'wrong');
      writeFileSync(wrongPass, 'not the passphrase at all\n');
      const wrong = await runCli(['restore', file, '--data-dir', join(tmp.dir, 'w'), '--passphrase-file', wrongPass]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--passphrase-file: wrong passphrase for this backup/);
      const flipped = readFileSync(file);
      flipped[Math.floor(flipped.length / 2)]! ^= 1; // inside the database part
      const changedFile = join(tmp.dir, 'changed.bulwark-backup');
      writeFileSync(changedFile, flipped);
      const changed = await runCli(['restore', changedFile, '--data-dir', join(tmp.dir, 'c'), '--passphrase-file', pass]);
      expect(changed.code).toBe(2);
      expect(changed.stderr).toMatch(/FILE: this is not a whole Bulwark backup \(bulwark\.db was changed\)/);
      // Into the running Core's own data dir: refused.
      const busy = await runCli(['restore', file, '--data-dir', dataDir, '--passphrase-file', pass]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toMatch(/holds a Core already; restore into a new, empty directory/);

      // Restored into a new data dir, and served from there (the old Core stopped first).
      const restoredDir = join(tmp.dir, 'restored');
      const restore = await runCli(['restore', file, '--data-dir', restoredDir, '--passphrase-file', pass]);
      expect(restore.code, restore.stderr).toBe(0);
      const restoredCa = /^CA:\s+([0-9A-F:]{95}) \(the agents trust it/m.exec(restore.stdout)?.[1];
      await server.stop();
      // The same CA as the first Core's (read from its database, now that it stopped).
      const original = new Database(join(dataDir, 'bulwark.db'), { readonly: true });
      const pem = (original.prepare('SELECT cert_pem FROM ca').get() as { cert_pem: string }).cert_pem;
      original.close();
      expect(restoredCa).toBe(new X509Certificate(pem).fingerprint256);
      const restored = await startChild(restoredDir);
      try {
        const api2 = new HttpClient({ url: restored.url, token: readFileSync(join(restoredDir, 'token'), 'utf8').trim(), actor: 'test' });
        const names = new Set((await api2.call('devices.list', { location: 'hq' })).map((d) => d.name));
        expect(before.filter((n) => !names.has(n))).toEqual([]);
        // The same token (the old one works), the same location key, the same CA.
        expect(readFileSync(join(restoredDir, 'token'), 'utf8')).toBe(readFileSync(join(dataDir, 'token'), 'utf8'));
        expect((await api2.call('locations.get', { name: 'hq' })).publicKey).toBe(location.publicKey);
        const config = await api2.call('devices.config', { location: 'hq', name: 'd0' });
        expect(config.clientConfig).toContain(location.publicKey);
      } finally {
        await restored.stop();
      }
    } finally {
      writing = false;
      await loop.catch(() => undefined);
      await server.stop();
    }
  }, 120_000);
});
