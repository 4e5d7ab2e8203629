// The device table in Chromium against a real `bulwark serve`: disabling a device asks first,
// shows it muted with a badge and enables it again; a change made elsewhere arrives live. With
// 10,000 devices (added through the contract in one transaction, test/helpers/bulk-devices.ts)
// the table shows 50 at a time, searches by name, address and key, keeps the search in the URL,
// and follows live changes within the search. How fast is bench/devices's question.
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { addDevices } from '../helpers/bulk-devices.js';
import { startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);
if (missing) console.warn(`SKIPPING browser tests: ${missing}`);

const row = (page: import('playwright-core').Page, name: string) => page.locator(`[data-testid="device-row"][data-device="${name}"]`);
const shownNames = (page: import('playwright-core').Page) => page.getByTestId('device-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')));

describe.skipIf(missing !== null)('device table in Chromium', () => {
  test('disable asks first, mutes the row with a badge, and enable lets the device back; a change from elsewhere arrives live', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'hq', network: '10.64.0.0/24', endpoint: 'vpn.example.com' });
    for (const name of ['laptop', 'phone']) await srv.client.call('devices.add', { location: 'hq', name });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/locations/hq`);
    await row(page, 'laptop').waitFor();
    const enabled = async (name: string) => (await srv.client.call('devices.list', { location: 'hq' })).find((d) => d.name === name)!.enabled;

    // Disable asks what it does; Cancel keeps the device as it was.
    await page.getByTestId('device-disable-laptop').click();
    const confirm = page.getByTestId('device-disable-laptop-confirm');
    expect(await confirm.textContent()).toContain('Disable laptop? It is cut off at once; its key and address stay, and Enable lets it back.');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await enabled('laptop')).toBe(true);

    // Yes: Core has it disabled (by the UI), the row is muted with its badge, the button is Enable.
    await page.getByTestId('device-disable-laptop').click();
    await page.getByTestId('device-disable-laptop-confirm').getByRole('button', { name: 'Yes, disable' }).click();
    await row(page, 'laptop').getByTestId('device-disabled').waitFor();
    expect(await enabled('laptop')).toBe(false);
    expect(await row(page, 'laptop').getAttribute('class')).toBe('row-muted');
    expect(await row(page, 'laptop').getByTestId('device-disabled').textContent()).toBe('disabled');
    const [event] = await srv.client.call('events.list', { limit: 1, newest: true });
    expect(event).toMatchObject({ kind: 'device.disabled', subject: 'device:hq/laptop', actor: 'ui' });
    await page.getByTestId('event-item').filter({ hasText: 'device.disabled' }).waitFor();
    await page.getByTestId('devices-table').screenshot({ path: 'test-results/devices-disabled.png' });

    // A new config for a disabled device is given, and says it waits for enable.
    await page.getByTestId('device-reissue-laptop').click();
    await page.getByTestId('device-reissue-laptop-confirm').getByRole('button', { name: 'Yes, new config' }).click();
    expect(await page.getByTestId('device-config-disabled').textContent()).toBe('laptop is disabled: this config connects only once the device is enabled again.');
    await page.getByTestId('device-config-close').click();

    // Enable: no question (nothing is cut off), the badge goes.
    await page.getByTestId('device-enable-laptop').click();
    await row(page, 'laptop').getByTestId('device-disabled').waitFor({ state: 'detached' });
    expect(await enabled('laptop')).toBe(true);
    expect(await row(page, 'laptop').getAttribute('data-enabled')).toBe('true');

    // Disabled elsewhere (the CLI, another browser): the table follows without a reload.
    let reloaded = false;
    page.on('load', () => (reloaded = true));
    await srv.client.call('devices.setEnabled', { location: 'hq', name: 'phone', enabled: false });
    await row(page, 'phone').getByTestId('device-disabled').waitFor();
    await page.getByTestId('device-enable-phone').waitFor();
    expect(reloaded).toBe(false);
    expect(errors).toEqual([]);
  });

  test('10,000 devices: 50 at a time, paged; searched by name, address and key; the search in the URL; live changes within it', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'big', network: '10.80.0.0/16', endpoint: 'vpn.example.com' });
    const names = Array.from({ length: 10_000 }, (_, i) => `device-${String(i).padStart(5, '0')}`);
    const t0 = performance.now();
    await addDevices(srv.running.core, 'big', names);
    console.log(`10,000 devices added in ${Math.round(performance.now() - t0)} ms`);
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/locations/big`);
    const range = page.getByTestId('device-range');

    // The first page: 50 rows in name order.
    await range.filter({ hasText: '1–50 of 10,000' }).waitFor();
    expect(await shownNames(page)).toEqual(names.slice(0, 50));
    await page.getByTestId('device-next').click();
    await range.filter({ hasText: '51–100 of 10,000' }).waitFor();
    expect(await shownNames(page)).toEqual(names.slice(50, 100));
    await page.getByTestId('device-prev').click();
    await range.filter({ hasText: '1–50 of 10,000' }).waitFor();
    expect(await page.getByTestId('device-prev').isDisabled()).toBe(true);

    // By part of the name: the ten that match, and the URL carries the search.
    await page.getByTestId('device-search').pressSequentially('device-0999');
    await range.filter({ hasText: '1–10 of 10 matching (10,000 devices)' }).waitFor();
    expect(await shownNames(page)).toEqual(names.slice(9990));
    expect(new URL(page.url()).searchParams.get('q')).toBe('device-0999');
    expect(await page.getByTestId('device-next').isDisabled()).toBe(true);

    // A reload opens the same search.
    await page.reload();
    await range.filter({ hasText: '1–10 of 10 matching' }).waitFor();
    expect(await page.getByTestId('device-search').inputValue()).toBe('device-0999');

    // Live: a matching device added elsewhere joins the filtered table; one that does not
    // match only moves the count.
    await srv.client.call('devices.add', { location: 'big', name: 'device-09995b' });
    await srv.client.call('devices.add', { location: 'big', name: 'printer' });
    await range.filter({ hasText: '1–11 of 11 matching (10,002 devices)' }).waitFor();
    expect(await shownNames(page)).toEqual([...names.slice(9990, 9996), 'device-09995b', ...names.slice(9996)].sort());
    await srv.client.call('devices.setEnabled', { location: 'big', name: 'device-09993', enabled: false });
    await row(page, 'device-09993').getByTestId('device-disabled').waitFor();

    // By the start of the address: device k has offset k + 2 in 10.80.0.0/16, so 10.80.39.16 is
    // device-09998's (10.80.39.160–169 are past the last device).
    await page.getByTestId('device-search').fill('10.80.39.16');
    await range.filter({ hasText: '1–1 of 1 matching' }).waitFor();
    expect(await shownNames(page)).toEqual(['device-09998']);

    // By the start of the key.
    const key = (await srv.client.call('devices.search', { location: 'big', query: 'device-04242' })).devices[0]!.publicKey;
    await page.getByTestId('device-search').fill(key.slice(0, 12));
    await range.filter({ hasText: '1–1 of 1 matching' }).waitFor();
    expect(await shownNames(page)).toEqual(['device-04242']);

    // Nothing matches: said so; cleared: every device again, from the first page.
    await page.getByTestId('device-search').fill('no such device');
    await page.getByTestId('device-no-match').waitFor();
    await page.getByTestId('device-search').fill('');
    await range.filter({ hasText: '1–50 of 10,002' }).waitFor();
    expect(new URL(page.url()).searchParams.has('q')).toBe(false);
    await page.getByTestId('device-tools').screenshot({ path: 'test-results/devices-10000-search.png' });
    expect(errors).toEqual([]);
  }, 90_000);
});
