// Provisioning from the UI in Debian's Chromium against `bulwark serve` and real lab hosts:
// pin host keys through the check dialog, plan, apply while per-host progress streams in, apply
// again (up to date); and a host whose key changed is re-pinned only after a confirmation.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { startInProcess, UI_DIR, type InProcessServer } from '../helpers/server.js';
import { Lab, labMissing } from '../lab/scenario.js';

const missing = labMissing() ?? browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`provisioning UI tests cannot run: ${missing}`);
if (missing) console.warn(`SKIPPING provisioning UI tests: ${missing}`);

const HOSTS = ['gw1', 'gw2'] as const;
/** Steps that come only after the plan found work to do, and before the host's outcome. */
const WORK_STEPS = ['upload', 'backup', 'install', 'reload', 'restart', 'verify'];

function consoleFingerprint(lab: Lab, name: string): string {
  const fp = lab.ssh(name, 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub').stdout.split(' ')[1];
  expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  return fp!;
}

async function openUi(srv: InProcessServer, page: Page, errors: string[]): Promise<void> {
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${srv.url}/#token=${srv.token}`);
  await page.getByTestId('stream-status').filter({ hasText: 'live' }).waitFor();
}

/** The few browser APIs the page-side code below uses (the tests' tsconfig has no DOM lib). */
interface PageGlobals {
  progressLog: string[];
  document: {
    body: unknown;
    querySelector(selector: string): { disabled?: boolean } | null;
    querySelectorAll(selector: string): Iterable<{ dataset: Record<string, string | undefined> }>;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
}

/** Records, on every DOM change, each progress row's step, status and outcome, and whether the
 * provision.apply call is still running (its button is disabled until the call returns). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const last: Record<string, string> = {};
    g.progressLog = [];
    const snapshot = () => {
      const calling = g.document.querySelector('[data-testid="provision-apply"]')?.disabled ?? false;
      for (const row of g.document.querySelectorAll('[data-testid^="progress-row-"]')) {
        const host = row.dataset.testid!.slice('progress-row-'.length);
        const line = [host, row.dataset.step, row.dataset.status, row.dataset.outcome, calling ? 'calling' : 'returned'].join('|');
        if (last[host] !== line) g.progressLog.push((last[host] = line));
      }
    };
    new g.MutationObserver(snapshot).observe(g.document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function progressLog(page: Page): Promise<{ host: string; step: string; status: string; outcome: string; call: string }[]> {
  const lines = await page.evaluate(() => (globalThis as unknown as PageGlobals).progressLog);
  return lines.map((l) => {
    const [host = '', step = '', status = '', outcome = '', call = ''] = l.split('|');
    return { host, step, status, outcome, call };
  });
}

describe.skipIf(missing !== null)('provisioning in the UI', () => {
  test('pin keys in the dialog, plan, apply with live progress, apply again', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await using browser = await launchBrowser();
    const booted = await Promise.all(HOSTS.map((n) => lab.boot(n)));
    const c = srv.client;
    await c.call('locations.create', { name: 'office', network: '10.10.0.0/24', endpoint: 'vpn.example.com:51820' });
    for (const [i, name] of HOSTS.entries()) {
      await c.call('hosts.create', { name, ssh: `root@${booted[i]!.address}`, identityFile: lab.keyFile });
    }

    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    await openUi(srv, page, errors);

    // First contact: the dialog shows the key the host presents, which is the one on its console.
    await page.getByTestId('nav-hosts').click();
    for (const name of HOSTS) {
      const own = consoleFingerprint(lab, name);
      await page.getByTestId(`host-check-${name}`).click();
      const dialog = page.getByTestId('host-check-dialog');
      await dialog.getByTestId('check-fingerprint').waitFor();
      expect(await dialog.getByTestId('check-fingerprint').textContent()).toBe(own);
      expect(await dialog.getByTestId('check-os').textContent()).toBe('Debian GNU/Linux 12 (bookworm)');
      expect(await dialog.getByTestId('check-arch').textContent()).toMatch(/\S/);
      expect(await dialog.getByTestId('check-privileges').textContent()).toBe('root');
      expect(await dialog.getByTestId('check-instructions').textContent()).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
      expect((await c.call('hosts.get', { name })).hostKeyFingerprint).toBeNull();
      await dialog.getByTestId('check-accept').click();
      await dialog.getByTestId('check-pinned').waitFor();
      await dialog.getByTestId('check-close').click();
      await page.getByTestId(`host-key-${name}`).filter({ hasText: own }).waitFor();
      expect((await c.call('hosts.get', { name })).hostKeyFingerprint).toBe(own);
    }
    for (const name of HOSTS) await c.call('gateways.add', { location: 'office', host: name });

    // Apply opens only on a plan: before one, it says to plan first.
    await page.getByTestId('nav-provisioning').click();
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await page.getByTestId('provision-apply').isDisabled()).toBe(true);
    expect(await page.getByTestId('provision-apply-hint').textContent()).toMatch(/^Plan first/);

    // Plan: both hosts have everything to install. The page opens with one sentence of totals and
    // a folded card per host whose header says what changes; files, units and diffs are inside.
    await page.getByTestId('provision-plan').click();
    for (const name of HOSTS) await page.getByTestId(`plan-status-${name}`).filter({ hasText: 'changes' }).waitFor();
    const plan = await c.call('provision.plan', {});
    const files = plan.hosts.reduce((n, h) => n + h.files.length, 0);
    expect(await page.getByTestId('plan-summary').textContent()).toBe(`2 hosts to change (${files} files, 2 units).`);
    expect(await page.getByTestId('provision-apply').isDisabled()).toBe(false);
    for (const name of HOSTS) {
      const card = page.getByTestId(`plan-host-${name}`);
      expect(await card.getAttribute('open')).toBeNull();
      expect(await page.getByTestId(`plan-gist-${name}`).textContent()).toMatch(/^files: \d+ added; start bulwark-gateway\.service$/);
      expect(await card.getByTestId('plan-file').first().isVisible()).toBe(false);
    }
    const folded = (await page.getByTestId('provision-plan-result').boundingBox())!.height;
    await page.getByTestId('provision-plan-result').screenshot({ path: 'test-results/ui-provision-plan-folded.png' });
    await page.getByTestId('plan-expand-all').click();
    for (const name of HOSTS) {
      const card = page.getByTestId(`plan-host-${name}`);
      expect(await card.getAttribute('open')).toBe('');
      expect(await card.getByTestId('plan-file').filter({ hasText: '/opt/bulwark' }).count()).toBeGreaterThan(0);
      expect(await card.getByTestId(`plan-units-${name}`).textContent()).toContain('start bulwark-gateway.service');
      // Private keys are keys, made at apply (no size yet), and never shown.
      const key = card.locator('[data-testid="plan-file"][data-path="/etc/bulwark/tls/gateway.key"]');
      expect(await key.getByTestId('plan-file-kind').textContent()).toBe('private key');
      expect(await key.getByTestId('plan-file-size').textContent()).toBe('made at apply');
      expect(await key.textContent()).toContain('secret, never shown');
      const wgKey = card.locator('[data-testid="plan-file"][data-path="/etc/bulwark/wg/office.key"]');
      expect(await wgKey.getByTestId('plan-file-kind').textContent()).toBe('private key');
      expect(await wgKey.getByTestId('plan-file-size').textContent()).toBe('45 B');
    }
    // Diffs open one file at a time; a long one shows its first 40 lines and the rest on request.
    const gw1 = page.getByTestId('plan-host-gw1');
    expect(await gw1.getByTestId('plan-diff').count()).toBe(0);
    const unitRow = gw1.locator('[data-testid="plan-file"][data-path="/etc/systemd/system/bulwark-gateway.service"]');
    const unitDiff = plan.hosts.find((h) => h.host === 'gw1')!.files.find((f) => f.path === '/etc/systemd/system/bulwark-gateway.service')!.diff!;
    const unitLines = unitDiff.split('\n').length;
    expect(unitLines, 'the unit diff is long enough to be cut').toBeGreaterThan(40);
    await unitRow.getByTestId('plan-diff-toggle').click();
    const diff = gw1.getByTestId('plan-diff');
    expect(await diff.textContent()).toMatch(/^\+\+\+ \//m);
    expect((await diff.textContent())!.trimEnd().split('\n')).toHaveLength(40);
    expect(await gw1.getByTestId('plan-diff-more').textContent()).toBe(`Show ${unitLines - 40} more lines`);
    await gw1.getByTestId('plan-diff-more').click();
    expect((await diff.textContent())!.trimEnd().split('\n')).toHaveLength(unitLines);
    expect(await gw1.getByTestId('plan-diff-more').count()).toBe(0);
    await page.getByTestId('plan-collapse-all').click();
    expect((await page.getByTestId('provision-plan-result').boundingBox())!.height).toBe(folded);

    // The order: no failover here, so both gateways change together, in one wave.
    expect(await page.getByTestId('plan-rollout').getByTestId('plan-wave-1').textContent()).toBe('gw1, gw2');
    expect(await page.getByTestId('plan-rollout-outage').count()).toBe(0);
    await page.getByTestId('plan-expand-all').click();
    await unitRow.getByTestId('plan-diff-toggle').click();
    expect(await gw1.getByTestId('plan-diff').count()).toBe(0);
    await page.screenshot({ path: 'test-results/ui-provision-plan.png', fullPage: true });

    // Apply: each host's row moves through the steps while the call is still running, then
    // shows its outcome. (From nothing this uploads a ~99 MB runtime per host.)
    await recordProgress(page);
    await page.getByTestId('provision-apply').click();
    for (const name of HOSTS) {
      await page.getByTestId(`progress-outcome-${name}`).filter({ hasText: 'applied' }).waitFor({ timeout: 180_000 });
    }
    await page.locator('[data-testid="provision-run"][data-state="finished"]').waitFor();
    await page.getByTestId('provision-apply').filter({ hasText: /^Apply$/ }).waitFor();
    const log = await progressLog(page);
    for (const name of HOSTS) {
      const rows = log.filter((r) => r.host === name);
      const shown = rows.map((r) => `${r.step}:${r.status}:${r.outcome}:${r.call}`).join(', ');
      const working = rows.findIndex((r) => WORK_STEPS.includes(r.step) && r.outcome === '' && r.call === 'calling');
      const ended = rows.findIndex((r) => r.outcome !== '');
      expect(working, `${name} never showed a step after inspect while the call ran: ${shown}`).toBeGreaterThanOrEqual(0);
      expect(ended, `${name} shows no outcome: ${shown}`).toBeGreaterThan(working);
      expect(rows.some((r) => r.step === 'upload'), `${name} never showed the upload: ${shown}`).toBe(true);
    }
    await page.getByTestId('provision-run').screenshot({ path: 'test-results/ui-provision-applied.png' });
    expect(await page.getByTestId('provision-run-summary').textContent()).toMatch(/done: every host is applied or up to date/);
    expect(await page.getByTestId('plan-stale').count()).toBe(1);
    // The plan is stale after the run, so Apply waits for a new one.
    expect(await page.getByTestId('provision-apply').isDisabled()).toBe(true);
    expect(await page.getByTestId('provision-apply-hint').textContent()).toMatch(/plan again/);

    for (const name of HOSTS) expect(lab.ssh(name, 'systemctl is-active bulwark-gateway.service').stdout.trim()).toBe('active');

    // A new plan replaces the run's result on the page, and with nothing to change there is
    // nothing to apply.
    const runId = await page.getByTestId('provision-run').getAttribute('data-run');
    await page.getByTestId('provision-plan').click();
    for (const name of HOSTS) await page.getByTestId(`plan-status-${name}`).filter({ hasText: 'up to date' }).waitFor();
    expect(await page.getByTestId('provision-run').count()).toBe(0);
    expect(await page.getByTestId('plan-summary').textContent()).toBe('Every host is up to date (2).');
    expect(await page.getByTestId('provision-apply').isDisabled()).toBe(true);
    expect(await page.getByTestId('provision-apply-hint').textContent()).toMatch(/^Nothing to apply/);
    await page.screenshot({ path: 'test-results/ui-provisioning.png', fullPage: true });

    // The run has a page of its own, linked from the recent runs and read back from the audit
    // trail: a reload stays on it.
    const recent = page.getByTestId('recent-runs').locator(`[data-run="${runId}"]`);
    await recent.getByTestId('recent-run-result').filter({ hasText: 'ok' }).waitFor();
    await recent.getByRole('link').click();
    await page.waitForURL(`**/provisioning/runs/${runId}`);
    for (const reload of [false, true]) {
      if (reload) await page.reload();
      const runPage = page.getByTestId('run-page');
      for (const name of HOSTS) await runPage.getByTestId(`progress-outcome-${name}`).filter({ hasText: 'applied' }).waitFor();
      expect(await runPage.getByTestId('provision-run-summary').textContent()).toMatch(/started by ui .* ago: done: every host is applied or up to date \(\d+\.\d s\)\./);
      expect(await runPage.getByTestId('progress-row-gw1').getAttribute('data-outcome')).toBe('applied');
    }
    await page.screenshot({ path: 'test-results/ui-run-page.png', fullPage: true });

    // A host's page: its LAN, its roles (linked), its agent's link; a reload stays on it.
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('host-link-gw1').click();
    await page.waitForURL('**/hosts/gw1');
    for (const reload of [false, true]) {
      if (reload) await page.reload();
      await page.getByTestId('host-page').waitFor();
      expect(await page.getByTestId('host-page-lan').textContent()).toBe(`${booted[0]!.address}/${lab.prefix.prefix} on eth0`);
      expect(await page.getByTestId('host-page-roles').textContent()).toBe('gateway of office');
      await page.getByTestId('host-agents-gw1').filter({ hasText: 'gateway: link up' }).waitFor();
    }
    await page.screenshot({ path: 'test-results/ui-host-page.png', fullPage: true });

    // Uninstall from the hosts view asks first, then says what it removed under the host's row.
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('host-uninstall-gw2').click();
    expect((await c.call('hosts.get', { name: 'gw2' })).roles).toEqual(['gateway:office']);
    await page.getByTestId('host-uninstall-confirm-gw2').click();
    const note = page.getByTestId('host-note-gw2');
    await note.filter({ hasText: 'Uninstalled from gw2' }).waitFor({ timeout: 60_000 });
    expect(await note.textContent()).toContain('bulwark-gateway.service');
    expect(await note.textContent()).toContain('It is no longer gateway:office, so the next plan leaves it alone.');
    expect((await c.call('hosts.get', { name: 'gw2' })).roles).toEqual([]);
    expect(lab.ssh('gw2', 'systemctl is-active bulwark-gateway.service').stdout.trim()).not.toBe('active');
    expect(lab.ssh('gw2', 'test -e /opt/bulwark/bin/node; echo $?').stdout.trim()).toBe('1');
    expect(lab.ssh('gw1', 'systemctl is-active bulwark-gateway.service').stdout.trim()).toBe('active');
    expect(errors).toEqual([]);
  }, 420_000);

  test('a changed host key is a prominent warning; re-pinning needs a confirmation', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ uiDir: UI_DIR });
    await using browser = await launchBrowser();
    const h = await lab.boot('gw1');
    await srv.client.call('hosts.create', { name: 'gw1', ssh: `root@${h.address}`, identityFile: lab.keyFile });
    const first = await srv.client.call('hosts.check', { name: 'gw1' });
    await srv.client.call('hosts.check', { name: 'gw1', accept: first.fingerprint });

    // Re-created from the image: a new host key at the same address.
    lab.powerOff('gw1');
    await lab.boot('gw1');
    const fresh = consoleFingerprint(lab, 'gw1');
    expect(fresh).not.toBe(first.fingerprint);

    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    const errors: string[] = [];
    await openUi(srv, page, errors);
    await page.getByTestId('nav-hosts').click();
    await page.getByTestId('host-check-gw1').click();
    const dialog = page.getByTestId('host-check-dialog');
    await dialog.getByTestId('check-key-changed').waitFor();
    await dialog.screenshot({ path: 'test-results/ui-host-key-changed.png' });
    const message = await dialog.getByTestId('check-key-changed-message').textContent();
    expect(message).toContain(`changed from ${first.fingerprint} to ${fresh}`);
    expect(message).toMatch(/This may be an attack/);
    expect(message).toContain(`--repin --accept ${fresh}`);
    expect(await dialog.getByTestId('check-new-fingerprint').textContent()).toBe(fresh);
    expect(await dialog.getByTestId('check-accept').count()).toBe(0);

    // Nothing happens without the confirmation.
    expect(await dialog.getByTestId('check-repin').isDisabled()).toBe(true);
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBe(first.fingerprint);
    await dialog.getByTestId('check-repin-confirm').check();
    await dialog.getByTestId('check-repin').click();
    await dialog.getByTestId('check-pinned').waitFor();
    expect(await dialog.getByTestId('check-fingerprint').textContent()).toBe(fresh);
    await dialog.getByTestId('check-close').click();
    await page.getByTestId('host-key-gw1').filter({ hasText: fresh }).waitFor();
    expect((await srv.client.call('hosts.get', { name: 'gw1' })).hostKeyFingerprint).toBe(fresh);
    // The refused check is logged by Chromium as a failed resource (409).
    expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  }, 180_000);
});
