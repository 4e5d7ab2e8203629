// bench/backup: Core's backup and restore at 10,000 devices (no lab; Core in this process,
// served over HTTP). In one run: the database's size; a backup's time (the online snapshot, and
// the whole call with sealing and the download); how long API calls wait while it runs, against
// the same probe with nothing running (system.info every 5 ms: p50 / p99 / max); and a restore's
// time into a new data dir, and until Core serves from it.
// Goals (issue 15): backup under 2 s, and no API call blocked for more than 50 ms while it runs.
// Run: npm run bench:backup
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { restoreBackup } from '../../src-main/backup/restore.js';
import { serve } from '../../src-main/serve.js';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { addDevices } from '../../test/helpers/bulk-devices.js';

const DEVICES = Number(process.env.DEVICES ?? 10_000);
const PASSPHRASE = 'correct horse battery staple';
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-backup-'));
const log = pino({ level: 'silent' });
const running = await serve({ dataDir: join(base, 'data'), listen: '127.0.0.1:0', log });
try {
  const client = new HttpClient({ url: running.url, token: readFileSync(running.paths.token, 'utf8').trim(), actor: 'bench' });
  await client.call('locations.create', { name: 'hq', network: '10.80.0.0/16', endpoint: 'vpn.example.com' });
  await addDevices(running.core, 'hq', Array.from({ length: DEVICES }, (_, i) => `device-${i}`));

  /** system.info every 5 ms until `until` settles: each call's time. */
  const probe = async (until: Promise<unknown>) => {
    const times: number[] = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      const t0 = performance.now();
      await client.call('system.info', {});
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    return times;
  };
  const idle = await probe(new Promise((r) => setTimeout(r, 2000)));

  const t0 = performance.now();
  const file = join(base, 'core.bulwark-backup');
  const backup = (async () => {
    const made = await client.call('core.backup', { passphrase: PASSPHRASE });
    const chunks: Buffer[] = [];
    await client.download('backups', made.id, (c) => chunks.push(c));
    writeFileSync(file, Buffer.concat(chunks), { mode: 0o600 });
    return { made, ms: performance.now() - t0 };
  })();
  const during = await probe(backup);
  const { made, ms: backupMs } = await backup;

  const r0 = performance.now();
  const restoredDir = join(base, 'restored');
  restoreBackup(readFileSync(file), PASSPHRASE, restoredDir);
  const restoreMs = performance.now() - r0;
  const s0 = performance.now();
  const second = await serve({ dataDir: restoredDir, listen: '127.0.0.1:0', log });
  const serveMs = performance.now() - s0;
  const devices = (await second.core.invoke('locations.get', { name: 'hq' })).deviceCount;
  await second.stop();

  const db = statSync(join(base, 'data', 'bulwark.db')).size;
  console.log(`bench/backup: ${DEVICES} devices, database ${(db / 1024 / 1024).toFixed(1)} MiB, backup file ${(made.size / 1024 / 1024).toFixed(1)} MiB`);
  console.log(`  backup: snapshot ${ms(made.snapshotMs)}, whole call with sealing and download ${ms(backupMs)}`);
  console.log(`  API calls while it ran (${during.length}): p50 ${ms(pct(during, 50))}, p99 ${ms(pct(during, 99))}, max ${ms(Math.max(...during))}`);
  console.log(`  API calls with nothing running (${idle.length}): p50 ${ms(pct(idle, 50))}, p99 ${ms(pct(idle, 99))}, max ${ms(Math.max(...idle))}`);
  console.log(`  restore into a new data dir: ${ms(restoreMs)}; then serving from it: ${ms(serveMs)} (${devices} devices back)`);
  console.log(`  goals: backup < 2 s (${backupMs < 2000 ? 'met' : 'MISSED'}), no call blocked > 50 ms during it (${Math.max(...during) <= 50 ? 'met' : 'MISSED'})`);
} finally {
  await running.stop();
  rmSync(base, { recursive: true, force: true });
}
