// kill -9 of `bulwark serve` in the middle of a write loop: after a restart the database
// passes PRAGMA integrity_check and holds every write the server acknowledged.
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { startChild, tempDir } from '../helpers/server.js';

describe('crash safety', () => {
  test('no acknowledged write is lost and the file stays intact', async () => {
    using tmp = tempDir('bulwark-crash-');
    const dataDir = join(tmp.dir, 'data');
    const first = await startChild(dataDir);
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const c1 = new HttpClient({ url: first.url, token });
    await c1.call('locations.create', { name: 'hq', network: '10.8.0.0/16', endpoint: 'vpn' });

    // Four writers in parallel; each records what the server acknowledged.
    const acknowledged: string[] = [];
    const otherErrors: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `w${w}-${i}`;
        try {
          await c1.call('devices.add', { location: 'hq', name });
          acknowledged.push(name);
        } catch (err) {
          // The server died mid-request: that write was never acknowledged. Anything but a
          // lost connection (a 4xx/5xx before the kill) is a failure of its own.
          if ((err as { code?: string }).code !== 'unavailable') otherErrors.push((err as Error).message);
          return;
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await expect.poll(() => acknowledged.length, { timeout: 10_000 }).toBeGreaterThan(200);
    first.proc.kill('SIGKILL');
    await first.stop();
    stop = true;
    await Promise.all(writers);
    expect(otherErrors).toEqual([]);

    // The killed server left its lock and server.json behind; a new one must take over.
    const second = await startChild(dataDir);
    try {
      const c2 = new HttpClient({ url: second.url, token });
      const stored = new Set((await c2.call('devices.list', { location: 'hq' })).map((d) => d.name));
      const lost = acknowledged.filter((n) => !stored.has(n));
      expect(lost).toEqual([]);
      // Unacknowledged in-flight writes may or may not have landed; at most one per writer.
      expect(stored.size - acknowledged.length).toBeLessThanOrEqual(4);
      const addresses = (await c2.call('devices.list', { location: 'hq' })).map((d) => d.address);
      expect(new Set(addresses).size).toBe(addresses.length);
    } finally {
      await second.stop();
    }
    const db = new Database(join(dataDir, 'bulwark.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
    } finally {
      db.close();
    }
  });
});
