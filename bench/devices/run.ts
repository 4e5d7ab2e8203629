// bench/devices: a location's device table at 10,000 devices (no lab, no agents; Core in this
// process, the UI in Chromium).
//  (a) the API, over HTTP, median of RUNS calls: locations.status with every device (what the
//      UI fetched every 2 s before devices.search) and without (what it fetches now),
//      devices.list (what it fetched on every event before), devices.search for the first page
//      and for a search: bytes and milliseconds per call;
//  (b) time to first rows: from a click on the location in the locations list until the first
//      device row is on the screen, and until the live columns are, over OPENS opens;
//  (c) per keystroke: a search typed one key at a time (by name, then by address), from the key
//      press until the table shows that text's answer, p50 / p99 / max over the keystrokes;
//  (d) the main thread's long tasks (> 50 ms) while the page sits open IDLE_S seconds with its
//      2 s polls.
// Goals: (b) < 1 s, (c) p99 < 150 ms, (d) none. Before devices.search (the whole list in the page,
// docs/ARCHITECTURE.md) the same machine took 3-4.5 s for (b) and had ~3 s of long tasks per
// 10 s for (d), up to 660 ms each. Run: npm run bench:devices
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { serve } from '../../src-main/serve.js';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { launchBrowser } from '../../test/helpers/browser.js';
import { addDevices } from '../../test/helpers/bulk-devices.js';

const DEVICES = Number(process.env.DEVICES ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 20);
const OPENS = Number(process.env.OPENS ?? 5);
const IDLE_S = Number(process.env.IDLE_S ?? 10);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (n: number) => n.toFixed(n < 10 ? 1 : 0);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10_240 ? 1 : 0)} KiB`;

// Run from the repository (npm run bench:devices): the built UI is in dist/renderer.
const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-devices-'));
const running = await serve({ dataDir: join(base, 'data'), listen: '127.0.0.1:0', uiDir: join(process.cwd(), 'dist/renderer'), agentsDir: join(process.cwd(), 'dist/agents'), log: pino({ level: 'silent' }) });
const token = readFileSync(running.paths.token, 'utf8').trim();
const client = new HttpClient({ url: running.url, token, actor: 'bench' });
const browser = await launchBrowser();
try {
  await client.call('locations.create', { name: 'big', network: '10.80.0.0/16', endpoint: 'vpn.example.com' });
  const t0 = performance.now();
  await addDevices(running.core, 'big', Array.from({ length: DEVICES }, (_, i) => `device-${String(i).padStart(5, '0')}`));
  console.log(`${DEVICES.toLocaleString('en-US')} devices added in one transaction: ${fmt(performance.now() - t0)} ms`);

  // (a)
  console.log(`\n(a) the API over HTTP, median of ${RUNS} calls`);
  const calls: [string, string, object][] = [
    ['locations.status, every device (the old poll)', 'locations.status', { name: 'big' }],
    ['locations.status, devices: false (the poll now)', 'locations.status', { name: 'big', devices: false }],
    ['devices.list (the old refresh on every event)', 'devices.list', { location: 'big' }],
    ['devices.search, first page of 50', 'devices.search', { location: 'big' }],
    ['devices.search "device-0424", a name', 'devices.search', { location: 'big', query: 'device-0424' }],
    ['devices.search "10.80.3", an address', 'devices.search', { location: 'big', query: '10.80.3' }],
    ['devices.search, page 200 (offset 9,950)', 'devices.search', { location: 'big', offset: 9950 }],
  ];
  for (const [what, name, input] of calls) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await fetch(`${running.url}/api/v1/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      bytes = (await r.text()).length;
      times.push(performance.now() - t);
    }
    console.log(`  ${what.padEnd(50)} ${kb(bytes).padStart(9)}  ${fmt(pct(times, 50)).padStart(5)} ms`);
  }

  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(60_000);
  await page.goto(`${running.url}/#token=${token}`);

  // (b)
  const first: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    await page.goto(`${running.url}/locations`);
    await page.getByTestId('location-row-big').waitFor();
    const t = performance.now();
    await page.getByTestId('location-row-big').click();
    await page.getByTestId('device-row').first().waitFor();
    first.push(performance.now() - t);
    await page.getByTestId('device-row').first().getByTestId('device-handshake').filter({ hasText: 'never' }).waitFor();
    live.push(performance.now() - t);
  }
  console.log(`\n(b) time to first rows over ${OPENS} opens: median ${fmt(pct(first, 50))} ms, max ${fmt(Math.max(...first))} ms; with the live columns: median ${fmt(pct(live, 50))} ms`);

  // (c)
  const perKey: number[] = [];
  const typeSearch = async (p: Page, text: string) => {
    await p.getByTestId('device-search').fill('');
    await p.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="device-range"]')?.dataset.query === '');
    await p.getByTestId('device-search').focus();
    for (let i = 1; i <= text.length; i++) {
      const want = text.slice(0, i);
      const t = performance.now();
      await p.keyboard.press(text[i - 1]!);
      await p.waitForFunction((q) => document.querySelector<HTMLElement>('[data-testid="device-range"]')?.dataset.query === q, want, { polling: 'raf' });
      perKey.push(performance.now() - t);
    }
  };
  await typeSearch(page, 'device-0424');
  await typeSearch(page, '10.80.39.1');
  console.log(`(c) keystroke → table updated, ${perKey.length} keystrokes: p50 ${fmt(pct(perKey, 50))} ms, p99 ${fmt(pct(perKey, 99))} ms, max ${fmt(Math.max(...perKey))} ms (includes ~1-2 ms of the DevTools protocol)`);

  // (d)
  await page.getByTestId('device-search').fill('');
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
  await page.waitForTimeout(IDLE_S * 1000);
  const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  console.log(`(d) long tasks in ${IDLE_S} s open: ${tasks.length}${tasks.length ? `, ${fmt(tasks.reduce((a, b) => a + b, 0))} ms in all, the longest ${fmt(Math.max(...tasks))} ms` : ''}`);
} finally {
  await browser.close();
  await running.stop();
  rmSync(base, { recursive: true, force: true });
}
process.exit(0);
