// Every page at the widths admins use (1280 and 1920 px) in Chromium: no word is broken across
// lines (a squeezed button or cell wraps between words or not at all), no button grows past one
// line, and a device's actions stay on the screen in an MFA location. Screenshots of each page at
// each width go to test-results/ for a look.
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

/** Words (between spaces, hyphens and slashes; keys and addresses aside) that the page broke across lines. */
function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken = new Set<string>();
    for (const el of Array.from(document.querySelectorAll('button, td, th, .pill, .map-node, h2, h3, dt, dd, label, nav a, .problem-text'))) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.parentElement?.closest('pre, code, .key, .mono')) continue;
        const text = n.textContent ?? '';
        for (const m of text.matchAll(/[^\s\-/]+/g)) {
          if (m[0].length > 30) continue;
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const lines = new Set(Array.from(r.getClientRects()).filter((x) => x.width > 0).map((x) => Math.round(x.top)));
          if (lines.size > 1) broken.add(`"${m[0]}" in <${el.tagName.toLowerCase()} class="${el.className}">`);
        }
      }
    }
    return [...broken];
  });
}

/** Visible buttons that stick out of the panel they sit in (a button that does not wrap, in a narrow panel). */
function stickingOut(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLButtonElement>('button'))
      .filter((b) => b.offsetParent !== null)
      .filter((b) => {
        const panel = b.closest('.card, .problems-panel, .drawer, .feed, main, .dialog, td') ?? document.body;
        return b.getBoundingClientRect().right > Math.min(panel.getBoundingClientRect().right, document.documentElement.clientWidth) + 1;
      })
      .map((b) => b.textContent ?? ''),
  );
}

/** Visible buttons taller than one line of text (not the problems' rows nor buttons drawn as links, which wrap like text). */
function tallButtons(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLButtonElement>('button:not(.problem-select):not(.link)'))
      .filter((b) => b.offsetParent !== null && b.getBoundingClientRect().height > 44)
      .map((b) => `${b.textContent} (${Math.round(b.getBoundingClientRect().height)} px)`),
  );
}

describe.skipIf(missing !== null)('the layout at 1280 and 1920 px', () => {
  test('no word broken, no button on two lines, device actions on screen; on every page', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR });
    const c = srv.client;
    await c.call('locations.create', { name: 'headquarters-east', network: '10.80.0.0/24', endpoint: 'vpn.headquarters.example.com', mfa: true, disconnectThreshold: 600 });
    await c.call('locations.create', { name: 'lab', network: '10.81.0.0/24', endpoint: 'vpn-lab.example.com' });
    for (const name of ['anna-laptop', 'ben-workstation-2', 'conference-room-display']) await c.call('devices.add', { location: 'headquarters-east', name });
    for (const [name, address] of [['gateway-east-1', '198.51.100.11'], ['gateway-east-2', '198.51.100.12'], ['edge1', '198.51.100.21']] as const) await c.call('hosts.create', { name, ssh: `root@${address}` });
    await c.call('gateways.add', { location: 'headquarters-east', host: 'gateway-east-1' });
    await c.call('gateways.add', { location: 'headquarters-east', host: 'gateway-east-2' });
    await c.call('edges.add', { host: 'edge1' });
    // A run that failed (nothing listens on port 1 of this machine): its page shows the failure.
    await c.call('hosts.create', { name: 'unreachable-edge', ssh: 'root@127.0.0.1:1' });
    await c.call('edges.add', { host: 'unreachable-edge' });
    const run = await c.call('provision.apply', { host: 'unreachable-edge', runId: 'layout-run-0001' });
    expect(run.hosts.map((h) => [h.host, h.outcome, h.failure?.step])).toEqual([['unreachable-edge', 'failed', 'connect']]);

    await using browser = await launchBrowser();
    for (const width of [1280, 1920]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      page.setDefaultTimeout(5000);
      await page.goto(`${srv.url}/#token=${srv.token}`);
      const pages: [string, string, string][] = [
        ['topology', '/', 'topology'],
        ['locations', '/locations', 'locations-table'],
        ['location', '/locations/headquarters-east', 'devices-table'],
        ['hosts', '/hosts', 'hosts-table'],
        ['provisioning', '/provisioning', 'recent-run'],
        ['host', '/hosts/gateway-east-1', 'host-page'],
        ['device', '/locations/headquarters-east/devices/conference-room-display', 'device-tunnel'],
        ['run', '/provisioning/runs/layout-run-0001', 'progress-failure-unreachable-edge'],
      ];
      for (const [name, path, ready] of pages) {
        await page.goto(`${srv.url}${path}`);
        await page.getByTestId(ready).first().waitFor();
        await page.screenshot({ path: `test-results/layout-${name}-${width}.png`, fullPage: true });
        expect(await brokenWords(page), `${name} at ${width} px`).toEqual([]);
        expect(await tallButtons(page), `${name} at ${width} px`).toEqual([]);
        expect(await stickingOut(page), `${name} at ${width} px: buttons out of their panel`).toEqual([]);
        // Every row's actions are on the screen, not under the event feed or past the edge.
        const right = await page.locator('main.content').evaluate((m) => m.getBoundingClientRect().right);
        const offscreen = await page.locator('td.actions button').evaluateAll((bs, r) => bs.filter((b) => b.getBoundingClientRect().right > r).map((b) => b.textContent), right);
        expect(offscreen, `${name} at ${width} px: buttons past the content's edge`).toEqual([]);
      }
      // The MFA location's device table keeps each device's actions on the screen.
      await page.goto(`${srv.url}/locations/headquarters-east`);
      await page.getByTestId('devices-table').waitFor();
      await page.getByTestId('devices-table').screenshot({ path: `test-results/layout-devices-${width}.png` });
      const content = (await page.locator('main.content').boundingBox())!;
      for (const device of ['anna-laptop', 'conference-room-display']) {
        const box = (await page.getByTestId(`device-remove-${device}`).boundingBox())!;
        expect(box.x + box.width, `${device}'s Remove at ${width} px`).toBeLessThanOrEqual(content.x + content.width);
      }
      await page.close();
    }
  });
});
