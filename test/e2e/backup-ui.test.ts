// A backup from the UI's Backup page, in Chromium against a real Core: two passphrases that
// differ and one too short are refused beside their fields with no backup made; then the
// browser downloads the backup, the page says what it holds, and the list of backups shows it.
// `bulwark restore` opens the downloaded file with the passphrase, and a Core started on the
// restored data dir has the location and device made before it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { runCli, startChild, startInProcess, tempDir, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

const PASSPHRASE = 'correct horse battery staple';

describe.skipIf(missing !== null)('backup in Chromium', () => {
  test('made from the Backup page, downloaded, and restored by the CLI', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    using tmp = tempDir('bulwark-backup-ui-');
    const work = tmp.dir;
    await srv.client.call('locations.create', { name: 'hq', network: '10.72.0.0/24', endpoint: 'vpn.example.com' });
    await srv.client.call('devices.add', { location: 'hq', name: 'anna' });
    const backups = async () => (await srv.client.call('events.list', { kind: 'core.backed_up' })).length;

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.getByTestId('nav-backup').click();
    await page.getByTestId('backup-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/backup');
    await page.getByTestId('backup-history-empty').waitFor();

    // Two passphrases that differ: said beside the second, nothing made.
    await page.getByTestId('backup-passphrase').fill(PASSPHRASE);
    await page.getByTestId('backup-repeat').fill('correct horse battery stapel');
    await page.getByTestId('backup-submit').click();
    await page.getByTestId('error-repeat').filter({ hasText: 'The two passphrases differ' }).waitFor();
    // One too short: Core's words beside the field.
    await page.getByTestId('backup-passphrase').fill('short');
    await page.getByTestId('backup-repeat').fill('short');
    await page.getByTestId('backup-submit').click();
    await page.getByTestId('error-passphrase').filter({ hasText: 'is too short; use at least 12 characters' }).waitFor();
    expect(await page.getByTestId('error-repeat').count()).toBe(0);
    expect(await backups()).toBe(0);

    await page.getByTestId('backup-passphrase').fill(PASSPHRASE);
    await page.getByTestId('backup-repeat').fill(PASSPHRASE);
    const download = page.waitForEvent('download');
    await page.getByTestId('backup-submit').click();
    const name = (await download).suggestedFilename();
    expect(name).toMatch(/^bulwark-backup-\d{8}-\d{6}\.bulwark-backup$/);
    const file = join(work, name);
    await (await download).saveAs(file);
    const done = page.getByTestId('backup-done');
    await done.waitFor();
    expect(await done.textContent()).toMatch(new RegExp(`^Saved ${name.replace(/\./g, '\\.')} \\([\\d.]+ KiB\\): 1 location, 0 hosts, 1 device and \\d+ events, as of `));
    expect(await page.getByTestId('backup-passphrase').inputValue()).toBe('');
    await page.getByTestId('backup-history').locator('tbody tr').first().waitFor();
    expect(await page.getByTestId('backup-history').locator('tbody tr').count()).toBe(1);
    expect(await page.getByTestId('backup-history').locator('tbody td').nth(1).textContent()).toBe('ui');
    expect(await backups()).toBe(1);
    await page.screenshot({ path: 'test-results/ui-backup.png', fullPage: true });
    expect(errors).toEqual([]);

    // The downloaded file restores, as the page says, into a Core with what was there.
    const pass = join(work, 'pass');
    writeFileSync(pass, `${PASSPHRASE}\n`, { mode: 0o600 });
    const restoredDir = join(work, 'restored');
    const restore = await runCli(['restore', file, '--data-dir', restoredDir, '--passphrase-file', pass]);
    expect(restore.code, restore.stderr).toBe(0);
    const restored = await startChild(restoredDir);
    try {
      const devices = await runCli(['--data-dir', restoredDir, 'device', 'list', '--location', 'hq']);
      expect(devices.code, devices.stderr).toBe(0);
      expect(devices.stdout).toMatch(/^anna\s/m);
    } finally {
      await restored.stop();
    }
  }, 120_000);
});
