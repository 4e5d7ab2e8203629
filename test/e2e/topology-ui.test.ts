// The topology page in Chromium with scripted gateways (real links, no lab): it is the landing
// page, shows each node's state in a word and the holder's badge, follows a takeover live without
// a reload, selects a node from a problem, collapses a location and filters. Screenshots go to
// test-results/. The lab test (test/lab/topology.test.ts) does the same with real agents.
import { describe, expect, test } from 'vitest';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { scriptedVrrpLocation } from '../helpers/scripted-agent.js';
import { startInProcess, UI_DIR } from '../helpers/server.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`browser tests cannot run: ${missing}`);

const LINK = { heartbeatMs: 100, downAfterMs: 1500, minBackoffMs: 50, maxBackoffMs: 200 };
const vrrp = (role: 'MASTER' | 'BACKUP', holdsVip: boolean) => ({ vrrp: [{ location: 'hq', role, holdsVip }] });

describe.skipIf(missing !== null)('the topology page in Chromium', () => {
  test('landing page: words, the badge, a takeover live, a problem selects its node, collapse and filter', async () => {
    await using srv = await startInProcess({ uiDir: UI_DIR, link: LINK });
    await srv.client.call('locations.create', { name: 'lab', network: '10.62.0.0/24', endpoint: '127.0.0.101:51820' });
    await srv.client.call('devices.add', { location: 'lab', name: 'orphan' });
    const { gw1: a, gw2: b } = await scriptedVrrpLocation(srv, 'hq', '10.61.0.0/24', '127.0.0.100', { gw1: '127.0.0.41', gw2: '127.0.0.42' });
    for (const name of ['laptop', 'phone']) await srv.client.call('devices.add', { location: 'hq', name });
    try {
      a.beat = vrrp('MASTER', true);
      b.beat = vrrp('BACKUP', false);

      await using browser = await launchBrowser();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      page.setDefaultTimeout(5000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(`${srv.url}/#token=${srv.token}`);
      await page.getByTestId('topology').waitFor();

      await page.getByTestId('word-gateway:gw1').filter({ hasText: 'master' }).waitFor();
      await page.getByTestId('word-gateway:gw2').filter({ hasText: 'backup' }).waitFor();
      expect(await page.getByTestId('vip-gateway:gw1').count()).toBe(1);
      expect(await page.getByTestId('vip-gateway:gw2').count()).toBe(0);
      expect(await page.getByTestId('word-location:hq').textContent()).toBe('serving');
      expect(await page.getByTestId('node-location:lab').getAttribute('data-state')).toBe('down');
      // The lines are drawn, each from its source's right side to its target's left side: Core's
      // links to both gateways, each gateway to hq, each location to its devices.
      const lines = {
        'link:gateway:gw1': ['core', 'gateway:gw1'],
        'link:gateway:gw2': ['core', 'gateway:gw2'],
        'serves:gw1:hq': ['gateway:gw1', 'location:hq'],
        'serves:gw2:hq': ['gateway:gw2', 'location:hq'],
        'clients:hq': ['location:hq', 'devices:hq'],
        'clients:lab': ['location:lab', 'devices:lab'],
      };
      for (const [id, [from, to]] of Object.entries(lines)) {
        const [line, source, target] = await Promise.all([`[data-line="${id}"]`, `[data-testid="node-${from}"]`, `[data-testid="node-${to}"]`].map((q) => page.locator(q).boundingBox()));
        expect(line, id).not.toBeNull();
        expect(Math.abs(line!.x - (source!.x + source!.width)), `${id} starts at ${from}`).toBeLessThan(3);
        expect(Math.abs(line!.x + line!.width - target!.x), `${id} ends at ${to}`).toBeLessThan(3);
      }
      expect(await page.locator('[data-line-label="serves:gw1:hq"]').textContent()).toBe('floating IP');
      await page.screenshot({ path: 'test-results/topology-landing.png' });

      // A takeover, as the agents report it: the badge moves with no reload. Each agent beats on
      // its own timer, so for up to one beat both may say they hold the address (and the map shows
      // both, as it should); the badge must then leave gw1.
      b.beat = vrrp('MASTER', true);
      a.beat = vrrp('BACKUP', false);
      await page.getByTestId('vip-gateway:gw2').waitFor();
      await page.getByTestId('vip-gateway:gw1').waitFor({ state: 'detached' });
      await page.getByTestId('word-gateway:gw1').filter({ hasText: 'backup' }).waitFor();

      // The master's agent goes silent: it shows as down, in a word, with its problem.
      await b.close();
      await page.getByTestId('word-gateway:gw2').filter({ hasText: 'link down' }).waitFor();
      expect(await page.getByTestId('node-gateway:gw2').getAttribute('data-state')).toBe('down');
      await page.getByTestId('problem-unlinked:gateway:gw2').locator('.problem-select').click();
      await page.getByTestId('drawer').filter({ hasText: 'gateway gw2' }).waitFor();
      expect(await page.getByTestId('drawer').textContent()).toContain('Core has no link with gateway gw2');
      await page.screenshot({ path: 'test-results/topology-problem-selected.png' });

      // The critical problem of the location without a gateway offers its command.
      const noGateway = page.getByTestId('problem-no-gateway:lab');
      expect(await noGateway.textContent()).toContain('bulwark gateway add --location lab --host H');

      // Zoomed out past reading, a node is a block in its state's colour that still wears the
      // badge and says its name and state on hover; zoomed back in, the words return.
      // (gw1 takes the address over from the lost gw2 first, so there is a badge to keep.)
      a.beat = vrrp('MASTER', true);
      await page.getByTestId('vip-gateway:gw1').waitFor();
      for (let i = 0; i < 6; i++) await page.locator('.react-flow__controls-zoomout').click();
      await page.locator('[data-testid="node-gateway:gw2"].map-node-far').waitFor();
      expect(await page.getByTestId('node-gateway:gw2').getAttribute('title')).toBe('gateway gw2: link down, 1 problem(s)');
      expect(await page.getByTestId('node-gateway:gw1').getAttribute('title')).toBe('gateway gw1: master, holds the floating IP');
      expect(await page.getByTestId('vip-gateway:gw1').count()).toBe(1);
      expect(await page.getByTestId('word-gateway:gw1').count()).toBe(0);
      await page.screenshot({ path: 'test-results/topology-zoomed-out.png' });
      await page.locator('.react-flow__controls-fitview').click();
      await page.getByTestId('word-gateway:gw1').waitFor();

      // Notes (nothing wrong: scripted agents report another version) are folded under their count.
      const notes = page.getByTestId('problem-notes-toggle');
      expect(await notes.textContent()).toMatch(/^▸ \d+ notes/);
      expect(await page.getByTestId('problems-panel').locator('.problem.severity-info').count()).toBe(0);
      await notes.click();
      expect(await page.getByTestId('problems-panel').locator('.problem.severity-info').count()).toBeGreaterThan(0);

      // Collapse hq: its gateways and devices leave the map; filter: only matching nodes stay.
      await page.getByTestId('node-location:hq').locator('.map-node-collapse').click();
      await page.getByTestId('node-gateway:gw1').waitFor({ state: 'detached' });
      expect(await page.getByTestId('node-devices:hq').count()).toBe(0);
      await page.getByTestId('node-location:hq').locator('.map-node-collapse').click();
      await page.getByTestId('node-gateway:gw1').waitFor();
      await page.getByTestId('map-filter').fill('lab');
      await page.getByTestId('node-gateway:gw1').waitFor({ state: 'detached' });
      expect(await page.getByTestId('node-location:lab').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await a.close();
      await b.close().catch(() => undefined);
    }
  });
});
