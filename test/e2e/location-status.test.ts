// The location page live in Chromium (no lab): a gateway that was never provisioned shows its
// link down with Core's reason, a device shows "never" for its handshake, a device added
// through the API appears without a reload, and the page polls locations.status only while open.
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { until } from '../helpers/agent.js';
import { scriptedAgent } from '../helpers/scripted-agent.js';
import { runCli, startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);
if (missing) console.warn(`SKIPPING browser tests: ${missing}`);

describe.skipIf(missing !== null)('location page status in Chromium', () => {
  test('shows gateway link and reason, device handshakes, and follows changes live', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'hq', network: '10.60.0.0/24', endpoint: 'vpn.example.com' });
    await srv.client.call('hosts.create', { name: 'gw1', ssh: 'root@127.0.0.1' });
    await srv.client.call('gateways.add', { location: 'hq', host: 'gw1' });
    await srv.client.call('devices.add', { location: 'hq', name: 'laptop' });

    await using browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    let statusCalls = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/locations.status')) statusCalls++;
    });

    await page.goto(`${srv.url}/#token=${srv.token}`);

    // The landing page is the topology; these pages are under Locations.

    await page.getByTestId('nav-locations').click();
    await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
    await page.getByTestId('location-row-hq').click();
    await page.getByTestId('location-title').filter({ hasText: 'hq' }).waitFor();

    // The gateway was never provisioned: its link is not up, and Core's reason says what to do.
    const gw = page.locator('[data-testid="gateway-row"][data-host="gw1"]');
    await gw.getByTestId('gateway-reason').filter({ hasText: 'not installed yet' }).waitFor();
    expect(await gw.getByTestId('gateway-reason').textContent()).toBe('not installed yet: an apply installs it');
    expect(await gw.getByTestId('gateway-link').textContent()).toMatch(/^(down|connecting)/);
    expect(await gw.getByTestId('gateway-health').textContent()).toBe('-');
    expect(await gw.getByTestId('gateway-peers').textContent()).toBe('-');

    // No gateway reported the device: its handshake is "never", no endpoint, no counters.
    const laptop = page.locator('[data-testid="device-row"][data-device="laptop"]');
    await laptop.getByTestId('device-handshake').filter({ hasText: 'never' }).waitFor();
    expect(await laptop.getByTestId('device-endpoint').textContent()).toBe('-');
    expect(await laptop.getByTestId('device-traffic').textContent()).toBe('- / -');
    expect(await laptop.getByTestId('device-via').textContent()).toBe('-');

    // A device added through the API appears with its live columns, without a reload.
    let reloaded = false;
    page.on('load', () => (reloaded = true));
    await srv.client.call('devices.add', { location: 'hq', name: 'phone' });
    await page.locator('[data-testid="device-row"][data-device="phone"]').getByTestId('device-handshake').filter({ hasText: 'never' }).waitFor();
    expect(reloaded).toBe(false);
    await page.getByTestId('devices-table').screenshot({ path: 'test-results/location-status-devices.png' });

    // It polls while open (every 2 s) ...
    const opened = statusCalls;
    await expect.poll(() => statusCalls, { timeout: 5000, interval: 100 }).toBeGreaterThan(opened);
    // ... and stops when the page is left.
    await page.getByTestId('nav-hosts').click();
    await page.waitForTimeout(100);
    const left = statusCalls;
    await page.waitForTimeout(2500);
    expect(statusCalls).toBe(left);

    expect(consoleErrors).toEqual([]);
  });

  test('an MFA location shows each device\'s session; the admin starts and ends one', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'secure', network: '10.61.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 300 });
    await srv.client.call('devices.add', { location: 'secure', name: 'laptop' });
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    // The landing page is the topology; these pages are under Locations.
    await page.getByTestId('nav-locations').click();
    await page.getByTestId('location-row-secure').click();
    const cell = page.locator('[data-testid="device-row"][data-device="laptop"]').getByTestId('device-session');
    await cell.filter({ hasText: 'waiting for MFA' }).waitFor();
    await cell.getByTestId('session-start').click();
    await cell.filter({ hasText: /^active for/ }).waitFor();
    const [active] = await srv.client.call('sessions.list', { location: 'secure' });
    expect(active).toMatchObject({ device: 'laptop', startedBy: 'ui' });
    // Ended elsewhere (the CLI, or a gateway): the page follows without a reload.
    await srv.client.call('sessions.end', { location: 'secure', device: 'laptop' });
    await cell.filter({ hasText: 'waiting for MFA' }).waitFor();
    await cell.getByTestId('session-start').click();
    await cell.filter({ hasText: /^active for/ }).waitFor();
    await cell.getByTestId('session-end').click();
    await cell.filter({ hasText: 'waiting for MFA' }).waitFor();
    expect((await srv.client.call('sessions.list', { location: 'secure', all: true })).map((x) => x.endReason)).toEqual(['ended', 'ended']);
    expect(consoleErrors).toEqual([]);
  });

  test('the failover form: an error beside the field, then a floating IP; the page says who holds it', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await srv.client.call('locations.create', { name: 'ha', network: '10.62.0.0/24', endpoint: '198.51.100.100' });
    for (const [name, address] of [['gw1', '198.51.100.11'], ['gw2', '198.51.100.12']] as const) {
      await srv.client.call('hosts.create', { name, ssh: `root@${address}` });
      // What "host check" would record of its LAN, set by hand (no SSH here).
      await srv.client.call('hosts.update', { name, lan: { interface: 'eth0', address: `${address}/24` } });
      await srv.client.call('gateways.add', { location: 'ha', host: name });
    }
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    page.setDefaultTimeout(5000);
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${srv.url}/#token=${srv.token}`);
    // The landing page is the topology; these pages are under Locations.
    await page.getByTestId('nav-locations').click();
    await page.getByTestId('location-row-ha').click();
    const form = page.getByTestId('failover-form');
    await form.getByTestId('failover-mode').selectOption('vrrp');
    // The hint names the LAN the floating IP must be on, as the host checks saw it.
    expect(await form.locator('.field-hint').first().textContent()).toBe("An unused address on the gateways' LAN, with its prefix: gw1 is 198.51.100.11/24 on eth0; gw2 is 198.51.100.12/24 on eth0");
    await form.getByTestId('failover-vip').fill('203.0.113.9/24');
    await form.getByTestId('failover-submit').click();
    await form.getByTestId('error-vip').filter({ hasText: "is not on gateway gw1's LAN" }).waitFor();
    await form.getByTestId('failover-advert').fill('0.015');
    await form.getByTestId('failover-vip').fill('198.51.100.100/24');
    await form.getByTestId('failover-submit').click();
    await form.getByTestId('error-advertInterval').filter({ hasText: 'not a multiple of 0.01 s' }).waitFor();
    await form.getByTestId('failover-advert').fill('0.05');
    await form.getByTestId('failover-submit').click();
    await form.getByTestId('failover-saved').waitFor();
    expect((await srv.client.call('locations.get', { name: 'ha' })).failover).toMatchObject({ mode: 'vrrp', vip: '198.51.100.100/24', advertInterval: 0.05, routerId: 1 });
    // No gateway is linked (nothing provisioned): the page says nobody holds it, and why.
    await page.getByTestId('failover-holders').filter({ hasText: 'held by no gateway' }).waitFor();
    await page.getByTestId('failover-problem').filter({ hasText: 'Core cannot see gw1, gw2' }).waitFor();
    expect(await page.locator('[data-testid="gateway-row"][data-host="gw1"]').getByTestId('gateway-vrrp').textContent()).toBe('-');
    expect(consoleErrors).toEqual([]);
  });

  test('a floating IP saved but not applied shows as pending, with the plan; once the gateways run it, their state counts', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR, link: { heartbeatMs: 100, downAfterMs: 1500, minBackoffMs: 50, maxBackoffMs: 200 } });
    await srv.client.call('locations.create', { name: 'ha', network: '10.63.0.0/24', endpoint: '127.0.0.170' });
    // Two linked gateways whose agents run no keepalived yet (as before the apply that installs it).
    const agents = [];
    for (const [name, address] of [['gw1', '127.0.0.71'], ['gw2', '127.0.0.72']] as const) {
      agents.push(await scriptedAgent(srv, name, address));
      await srv.client.call('gateways.add', { location: 'ha', host: name });
      await srv.client.call('hosts.update', { name, lan: { interface: 'lo', address: `${address}/8` } });
    }
    try {
      await until('both linked', async () => (await srv.client.call('links.list', {})).filter((l) => l.state === 'up').length === 2);
      await srv.client.call('locations.setFailover', { name: 'ha', mode: 'vrrp', vip: '127.0.0.170/8' });
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      page.setDefaultTimeout(5000);
      await page.goto(`${srv.url}/#token=${srv.token}`);
      await page.goto(`${srv.url}/locations/ha`);
      const pending = page.getByTestId('failover-pending');
      await pending.waitFor();
      expect(await pending.textContent()).toContain('Pending apply: the floating IP 127.0.0.170/8 waits for an apply: no gateway runs keepalived for ha yet');
      expect(await page.getByTestId('failover-problem').count()).toBe(0);
      const cli = await runCli(['--data-dir', srv.dataDir, 'status', '--location', 'ha']);
      expect(cli.stdout).toMatch(/^PENDING: the floating IP 127\.0\.0\.170\/8 waits for an apply/m);
      await page.screenshot({ path: 'test-results/location-failover-pending.png', fullPage: true });
      await page.getByTestId('failover-plan').click();
      await page.getByTestId('provisioning-page').waitFor();

      // Applied (the agents now report keepalived), and neither holds the address: that is an alarm.
      for (const a of agents) a.beat = { vrrp: [{ location: 'ha', role: 'BACKUP', holdsVip: false }] };
      await page.goBack();
      await page.getByTestId('failover-problem').filter({ hasText: 'no gateway holds the floating IP 127.0.0.170/8' }).waitFor();
      expect(await page.getByTestId('failover-pending').count()).toBe(0);
    } finally {
      for (const a of agents) await a.close();
    }
  });
});
