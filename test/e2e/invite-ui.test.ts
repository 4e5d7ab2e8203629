// Invites and the public side in Chromium (no lab): the location page makes an invite link
// (field errors beside the field), lists it and revokes it, and shows the edges with why they
// are not ready (never provisioned here) and the one-edge warning.
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('invites in Chromium', () => {
  test('make, list and revoke an invite; the public side says what is wrong', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'hq', network: '10.61.0.0/24', endpoint: 'vpn.example.com', mfa: true });
    await srv.client.call('hosts.create', { name: 'edge1', ssh: 'root@127.0.0.1' });
    await srv.client.call('edges.add', { host: 'edge1' });

    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(5000);
    await page.goto(`${srv.url}/#token=${srv.token}`);
    // The landing page is the topology; these pages are under Locations.
    await page.getByTestId('nav-locations').click();
    await page.getByTestId('location-row-hq').click();
    const panel = page.getByTestId('invite-panel');
    await panel.waitFor();

    // No public name yet: the error says how to set one.
    await page.getByTestId('invite-name').fill('anna-phone');
    await page.getByTestId('invite-submit').click();
    await panel.getByText(/no public name yet/).waitFor();
    await page.getByTestId('edge-problem').filter({ hasText: 'no public name' }).waitFor();

    await srv.client.call('edges.setPublic', { publicName: 'vpn.example.com', balancer: null });
    await page.getByTestId('invite-expires').fill('2 days');
    await page.getByTestId('invite-submit').click();
    await panel.getByText(/is not a duration/).waitFor();
    await page.getByTestId('invite-expires').fill('2d');
    await page.getByTestId('invite-submit').click();
    const url = await page.getByTestId('invite-url').textContent();
    expect(url).toMatch(/^https:\/\/vpn\.example\.com\/enroll#[A-Za-z0-9_-]{43}$/);
    await page.getByTestId('invite-row').filter({ hasText: 'anna-phone' }).waitFor();
    const edge = page.locator('[data-testid="edge-row"][data-host="edge1"]');
    expect(await edge.locator('td').nth(1).textContent()).toMatch(/down|connecting/);
    await page.getByTestId('edge-problem').filter({ hasText: 'only one edge' }).waitFor();
    await page.getByTestId('edges-panel').getByText('vpn.example.com').waitFor();
    await page.screenshot({ path: 'test-results/ui-invite.png', fullPage: true });

    await page.getByTestId('invite-row').getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('invites-table').waitFor({ state: 'detached' });
    expect((await srv.client.call('invites.list', { all: true })).map((i) => i.state)).toEqual(['revoked']);
  });
});
