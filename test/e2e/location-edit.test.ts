// A location's settings and a device's new config, in Chromium against a real Core: the endpoint
// and routes edited with what that means for existing devices said, MFA turned on only after the
// admin is told who is cut off, a bad route refused beside its field, and a new key pair for a
// device whose config then names the new endpoint.
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('editing a location in Chromium', () => {
  test('endpoint and routes with the devices they strand, MFA asked first, a bad route refused, a new config', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'hq', network: '10.70.0.0/24', endpoint: 'vpn.example.com' });
    for (const name of ['laptop', 'phone']) await srv.client.call('devices.add', { location: 'hq', name });
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(5000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    await page.goto(`${srv.url}/locations/hq`);
    const form = page.getByTestId('location-settings');
    await form.waitFor();
    expect(await page.getByTestId('settings-endpoint').inputValue()).toBe('vpn.example.com:51820');

    // A bad route: Core's message beside the field, nothing stored.
    await page.getByTestId('settings-routes').fill('10.0.0.300/24');
    await page.getByTestId('settings-submit').click();
    await form.locator('.form-error').filter({ hasText: '10.0.0.300' }).waitFor();
    expect((await srv.client.call('locations.get', { name: 'hq' })).routes).toEqual([]);

    // A new endpoint and a route: saved, and the page says which configs are now stale.
    await page.getByTestId('settings-endpoint').fill('vpn2.example.com');
    await page.getByTestId('settings-routes').fill('192.0.2.0/28\n198.51.100.0/28');
    await page.getByTestId('settings-submit').click();
    const outcome = page.getByTestId('settings-outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toBe('The client configs of its 2 devices name the old endpoint vpn.example.com:51820 and the old routes: give each a new config ("New config" in the devices table below).');
    expect(await srv.client.call('locations.get', { name: 'hq' })).toMatchObject({ endpointHost: 'vpn2.example.com', endpointPort: 51820, routes: ['192.0.2.0/28', '198.51.100.0/28'] });

    // MFA: the first save only says who is cut off; the second turns it on.
    await page.getByTestId('settings-mfa').check();
    await page.getByTestId('settings-submit').click();
    expect(await page.getByTestId('settings-mfa-confirm').textContent()).toBe('Turning MFA on cuts off the 2 devices of hq until each starts an MFA session. Save again to go ahead.');
    expect((await srv.client.call('locations.get', { name: 'hq' })).mfa).toBe(false);
    await page.getByTestId('settings-submit').click();
    // (hq has no gateway yet: nothing to say about gateways.)
    await outcome.filter({ hasText: /^Saved\.$/ }).waitFor();
    expect((await srv.client.call('locations.get', { name: 'hq' })).mfa).toBe(true);
    await page.screenshot({ path: 'test-results/location-settings.png', fullPage: true });

    // A new config for the laptop: asked first, then a new key whose config names the new endpoint.
    const before = (await srv.client.call('devices.list', { location: 'hq' })).find((d) => d.name === 'laptop')!;
    await page.getByTestId('device-reissue-laptop').click();
    await page.getByTestId('device-reissue-laptop-confirm').getByRole('button', { name: 'Yes, new config' }).click();
    const text = (await page.getByTestId('device-config-text').textContent())!;
    expect(text).toContain('Endpoint = vpn2.example.com:51820');
    expect(text).toContain('AllowedIPs = 10.70.0.0/24, 192.0.2.0/28, 198.51.100.0/28');
    const after = (await srv.client.call('devices.list', { location: 'hq' })).find((d) => d.name === 'laptop')!;
    expect(after.publicKey).not.toBe(before.publicKey);
    expect(after.address).toBe(before.address);
    expect(errors).toEqual([]);
  });
});
