// Issue #11: other programs reload systemd while Bulwark applies (apt, config management). A
// reload that reads /etc/systemd/system while a file there is renamed can miss a unit's file;
// systemd then has that unit not-found (exit 5, "Unit … not found") or, while it runs, failed
// to load, until the next daemon-reload. host-apply retries such a job once after a reload of
// its own, and its rollback checks the configuration it restored.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, startInProcess, type InProcessServer } from '../helpers/server.js';
import { addPinnedHost, health, unitState } from './provision-checks.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const UNIT_DIR = '/etc/systemd/system';

describe.skipIf(missing !== null)('provisioning while others reload systemd', () => {
  let lab: Lab;
  let srv: InProcessServer;
  const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);

  beforeAll(async () => {
    lab = await Lab.create();
    srv = await startInProcess();
    const h = await lab.boot('gwr');
    await srv.client.call('locations.create', { name: 'office', network: '10.40.0.0/24', endpoint: 'vpn.example.com:51820' });
    await addPinnedHost(srv, lab, 'gwr', h.address);
    await srv.client.call('gateways.add', { location: 'office', host: 'gwr' });
    await srv.client.call('edges.add', { host: 'gwr' });
  }, 120_000);

  afterAll(async () => {
    await srv?.[Symbol.asyncDispose]();
    await lab?.down();
  });

  test('an apply completes while another program runs daemon-reload every 0.2 s', async () => {
    const loop = lab.startReloadLoop('gwr');
    try {
      const first = await cli('provision', 'apply');
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/^gwr\s+applied: \d+ files; start bulwark-gateway\.service, start bulwark-edge\.service/m);
      // A restart too: the edge's config edited by hand is put back.
      lab.exec('gwr', ['sed', '-i', 's/"host": "gwr"/"host": "gwr-edited-by-hand"/', '/etc/bulwark/edge.json']);
      const second = await cli('provision', 'apply');
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/^gwr\s+applied: 1 file; restart bulwark-edge\.service/m);
    } finally {
      loop.stop();
    }
    expect(unitState(lab, 'gwr', 'bulwark-gateway.service').active).toBe('active');
    expect(health(lab, 'gwr', 9462)).toMatchObject({ ok: true, host: 'gwr' });
  }, 180_000);

  test('a rollback restarts a unit that a reload by others left unloaded, and checks the restored config', async () => {
    // The admin edits the edge's config by hand. Its next start fails once (a drop-in); while it
    // starts, "config management" moves the unit file away, reloads systemd and puts the file
    // back, as a reload that raced a rename would see it. So the apply's restart fails, and the
    // rollback's restart finds the unit failed to load until host-apply reloads systemd itself.
    lab.exec('gwr', ['sed', '-i', 's/"host": "gwr"/"host": "gwr-edited-by-hand"/', '/etc/bulwark/edge.json']);
    const script = [
      'if [ -e /run/fail-once ]; then',
      '  rm /run/fail-once',
      `  systemd-run --no-block --unit=other-tool sh -c 'f=${UNIT_DIR}/bulwark-edge.service; mv $f /run/edge.unit; systemctl daemon-reload; mv /run/edge.unit $f'`,
      '  sleep 3',
      '  echo agent says no >&2',
      '  exit 3',
      'fi',
    ].join('\n');
    const dropIn = lab.exec('gwr', [
      'sh',
      '-c',
      `printf "%s\\n" "$1" > /run/fail-once.sh && touch /run/fail-once && mkdir -p ${UNIT_DIR}/bulwark-edge.service.d && printf "%s\\n" "[Service]" "ExecStartPre=+/bin/sh /run/fail-once.sh" > ${UNIT_DIR}/bulwark-edge.service.d/fail.conf && systemctl daemon-reload`,
      'sh',
      script,
    ]);
    expect(dropIn.code, dropIn.stderr).toBe(0);
    const broken = await cli('provision', 'apply', '--host', 'gwr');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^gwr: failed at restart: systemctl restart -- bulwark-edge\.service failed/m);
    expect(broken.stdout).toMatch(/^ {4}agent says no$/m);
    // The other tool did run, and the rollback still brought the hand-edited config back up.
    expect(lab.exec('gwr', ['systemctl', 'show', '-p', 'Result', '--value', 'other-tool.service']).stdout.trim()).toBe('success');
    expect(broken.stdout, broken.stdout).toMatch(/The host was rolled back to its previous files and units\./);
    expect(broken.stdout).not.toMatch(/not the new/);
    expect(health(lab, 'gwr', 9462)).toMatchObject({ ok: true, host: 'gwr-edited-by-hand' });
    lab.exec('gwr', ['sh', '-c', `rm -r ${UNIT_DIR}/bulwark-edge.service.d && systemctl daemon-reload`]);
    const repaired = await cli('provision', 'apply', '--host', 'gwr');
    expect(repaired.stdout, repaired.stderr).toMatch(/^gwr\s+applied: 1 file; restart bulwark-edge\.service/m);
  }, 180_000);
});
