// A host's offline bundle from its page, in Chromium against a real Core: the signing key's
// fingerprint shown, a too-short passphrase refused beside its field, the host's platform asked
// for because Core never checked it, then the export: the browser downloads the archive, which
// `bulwark bundle verify` accepts as this Core's, sealed; the page says what to run on the host.
// And a host's network and system set by hand, for a host Core cannot reach over SSH.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Download } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { runCli, startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('offline bundle in Chromium', () => {
  test('export from the host page: key shown, bad passphrase refused, the download verifies', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const work = mkdtempSync(join(tmpdir(), 'bulwark-bundle-ui-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    await srv.client.call('locations.create', { name: 'hq', network: '10.71.0.0/24', endpoint: 'vpn.example.com' });
    await srv.client.call('hosts.create', { name: 'gw1', ssh: 'root@198.51.100.10' });
    await srv.client.call('gateways.add', { location: 'hq', host: 'gw1' });
    const key = await srv.client.call('bundles.signingKey', {});

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/hosts/gw1`);
    const form = page.getByTestId('bundle-export');
    await form.waitFor();
    await page.getByTestId('bundle-key').filter({ hasText: key.fingerprint }).waitFor();
    expect(await page.getByTestId('host-page-platform').textContent()).toBe('not seen yet: a check records it, or set it by hand');
    expect(await page.getByTestId('bundle-os').inputValue()).toBe('debian-12');

    // A passphrase too short: Core's words beside the field, no archive made.
    await page.getByTestId('bundle-passphrase').fill('short');
    await page.getByTestId('bundle-submit').click();
    await page.getByTestId('error-passphrase').filter({ hasText: 'is too short; use at least 12 characters' }).waitFor();
    expect((await srv.client.call('events.list', {})).some((e) => e.kind === 'bundle.exported')).toBe(false);

    await page.getByTestId('bundle-passphrase').fill('correct horse battery staple');
    const download = page.waitForEvent('download');
    await page.getByTestId('bundle-submit').click();
    const file = join(work, (await download).suggestedFilename());
    await (await download).saveAs(file);
    await page.getByTestId('bundle-done').waitFor();
    expect(await page.getByTestId('bundle-commands').textContent()).toMatch(new RegExp(`^tar xzf bulwark-gw1-[0-9a-f]{8}\\.tar\\.gz\\n\\./bulwark-gw1-[0-9a-f]{8}/install --expect-key ${key.fingerprint.replace(/[+/]/g, '\\$&')} --passphrase-file FILE$`));
    expect(await page.getByTestId('bundle-passphrase').inputValue()).toBe('');
    expect(statSync(file).size).toBeGreaterThan(10 * 1024 * 1024);
    // The page now knows the host's platform, as given.
    await page.getByTestId('host-page-platform').filter({ hasText: 'debian-12, x86_64' }).waitFor();
    // Its agents are not said to be applied: Core only exported a bundle, which no one ran yet.
    expect(await page.getByTestId('host-agents-gw1').textContent()).toMatch(/^waiting for an offline bundle exported (just now|\d+ s ago)/);
    await page.screenshot({ path: 'test-results/ui-bundle-export.png', fullPage: true });

    const verify = await runCli(['--data-dir', srv.dataDir, 'bundle', 'verify', file]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^Secrets:\s+sealed with a passphrase$/m);
    expect(verify.stdout).toMatch(/^For:\s+host gw1, debian 12, x86_64$/m);
    // Core kept it for that one download only.
    expect((await srv.client.call('events.list', {})).filter((e) => e.kind === 'bundle.exported')).toHaveLength(1);

    // The key rotated from the page (asked first): the new fingerprint shown, with where it came from.
    await page.getByTestId('bundle-key-rotate').click();
    await page.getByTestId('bundle-key-rotate-confirm').getByRole('button', { name: 'Yes, rotate' }).click();
    await page.getByTestId('bundle-key-rotations').filter({ hasText: `Rotated 1 time` }).waitFor();
    const rotated = await srv.client.call('bundles.signingKey', {});
    expect(rotated.fingerprint).not.toBe(key.fingerprint);
    expect(rotated.rotations).toEqual([{ from: key.fingerprint, to: rotated.fingerprint, rotatedAt: expect.any(String) }]);
    expect(await page.getByTestId('bundle-key').textContent()).toBe(rotated.fingerprint);
    expect(await page.getByTestId('bundle-key-rotations').textContent()).toContain(`(from ${key.fingerprint})`);
    await page.getByTestId('bundle-key').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/ui-bundle-key-rotated.png' });
    expect(errors).toEqual([]);
  }, 120_000);

  test('set a host\'s network by hand: a bad address refused beside its field, then the LAN shown', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('hosts.create', { name: 'gw1', ssh: 'root@198.51.100.10' });
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/hosts/gw1`);
    await page.getByTestId('host-set-facts').click();
    await page.getByTestId('facts-interface').fill('eth0');
    await page.getByTestId('facts-address').fill('198.51.100.10');
    await page.getByTestId('facts-submit').click();
    await page.getByTestId('error-lan.address').filter({ hasText: 'has no prefix length' }).waitFor();
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).lan).toBeNull();
    await page.getByTestId('facts-address').fill('198.51.100.10/24');
    await page.getByTestId('facts-os').fill('debian-12');
    await page.getByTestId('facts-arch').fill('x86_64');
    await page.screenshot({ path: 'test-results/ui-host-set-facts.png', fullPage: true });
    await page.getByTestId('facts-submit').click();
    await page.getByTestId('host-facts-form').waitFor({ state: 'detached' });
    expect(await page.getByTestId('host-page-lan').textContent()).toBe('198.51.100.10/24 on eth0');
    expect(await page.getByTestId('host-page-platform').textContent()).toBe('debian-12, x86_64');
    expect(await srv.client.call('hosts.get', { name: 'gw1' })).toMatchObject({ lan: { interface: 'eth0', address: '198.51.100.10/24' }, platform: { os: 'debian-12', arch: 'x86_64' } });
    expect(errors).toEqual([]);
  }, 60_000);

  test("a location's bundles from its page: one download per gateway, each for its host", async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const work = mkdtempSync(join(tmpdir(), 'bulwark-bundle-ui-'));
    await using _work = { [Symbol.asyncDispose]: async () => rmSync(work, { recursive: true, force: true }) };
    await srv.client.call('locations.create', { name: 'ha', network: '10.74.0.0/24', endpoint: 'vpn.example.com' });
    for (const [name, address] of [['gw1', '198.51.100.11'], ['gw2', '198.51.100.12']] as const) {
      await srv.client.call('hosts.create', { name, ssh: `root@${address}` });
      await srv.client.call('hosts.update', { name, platform: { os: 'debian-12', arch: 'x86_64' } });
      await srv.client.call('gateways.add', { location: 'ha', host: name });
    }
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/locations/ha`);
    await page.getByTestId('bundle-export').waitFor();
    // Core knows both platforms: the form does not ask.
    expect(await page.getByTestId('bundle-os').count()).toBe(0);
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.getByTestId('bundle-submit').click();
    await page.getByTestId('bundle-done').waitFor();
    await expect.poll(() => downloads.length, { timeout: 30_000 }).toBe(2);
    const names = downloads.map((d) => d.suggestedFilename()).sort();
    expect(names).toEqual([expect.stringMatching(/^bulwark-gw1-[0-9a-f]{8}\.tar\.gz$/), expect.stringMatching(/^bulwark-gw2-[0-9a-f]{8}\.tar\.gz$/)]);
    for (const d of downloads) {
      const file = join(work, d.suggestedFilename());
      await d.saveAs(file);
      const verify = await runCli(['--data-dir', srv.dataDir, 'bundle', 'verify', file]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(new RegExp(`^For:\\s+host ${d.suggestedFilename().slice(8, 11)}, debian 12, x86_64$`, 'm'));
    }
    expect(await page.getByTestId('bundle-commands').count()).toBe(2);
    expect(errors).toEqual([]);
  }, 120_000);
});
