// Provisioning on three real lab hosts, through the CLI a user types: plan, apply, health,
// a no-op re-apply, a change to one location, injected failures (sshd stopped mid-apply, a
// read-only directory) with a file-by-file rollback check, a re-created host refused before
// anything runs, a missing package, and uninstall. One lab for the file (booting hosts takes
// time); each scenario is its own test and starts where the one before left the hosts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProvisionStepDetails, type ProvisionApplyOutput } from '../../src-main/contract/index.js';
import { runCli, startInProcess, type InProcessServer } from '../helpers/server.js';
import { until } from '../helpers/agent.js';
import { addPinnedHost, fileSha, health, snapshot, unitState } from './provision-checks.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

describe.skipIf(missing !== null)('provisioning on lab hosts', () => {
  let lab: Lab;
  let srv: InProcessServer;
  const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
  /** What the CLI printed so far, searched for secrets. */
  const printed: string[] = [];
  let before: Record<string, { snap: string; unit: { active: string; pid: string } }> = {};

  beforeAll(async () => {
    lab = await Lab.create();
    srv = await startInProcess();
    const [a, b, c] = await Promise.all([lab.boot('gwa'), lab.boot('gwb'), lab.boot('gwc')]);
    await srv.client.call('locations.create', { name: 'office', network: '10.20.0.0/24', endpoint: 'vpn.example.com:51820' });
    await srv.client.call('locations.create', { name: 'branch', network: '10.21.0.0/24', endpoint: 'branch.example.com:51821' });
    for (const [name, h] of [['gwa', a], ['gwb', b], ['gwc', c]] as const) await addPinnedHost(srv, lab, name, h.address);
    await srv.client.call('gateways.add', { location: 'office', host: 'gwa' });
    await srv.client.call('gateways.add', { location: 'office', host: 'gwb' });
    await srv.client.call('gateways.add', { location: 'branch', host: 'gwc' });
  }, 120_000);

  afterAll(async () => {
    await srv?.[Symbol.asyncDispose]();
    await lab?.down();
  });

  test('plan from nothing: the runtime, the agent, its config and unit on every host', async () => {
    // Plan from nothing: every host gets the runtime, the agent, its config and unit.
    const plan = await cli('provision', 'plan');
    printed.push(plan.stdout);
    expect(plan.code, plan.stderr).toBe(0);
    for (const h of ['gwa', 'gwb', 'gwc']) {
      expect(plan.stdout).toMatch(new RegExp(`^${h} \\(gateway:(office|branch)\\): 8 files, 1 unit to change$`, 'm'));
    }
    expect(plan.stdout).toMatch(/^ {2}\+ \/opt\/bulwark\/bin\/node\s+add runtime, 94\.\d MiB$/m);
    expect(plan.stdout).toMatch(/^ {2}start bulwark-gateway\.service$/m);
    // Each agent's certificate is issued at the apply; its key is never shown.
    expect(plan.stdout).toMatch(/^ {2}\+ \/etc\/bulwark\/tls\/gateway\.key\s+add key, made at apply, secret: not shown$/m);
  }, 120_000);

  test('apply: progress per step, healthy agents, links up, status', async () => {
    // Apply: progress lines per host and step (stdout is not a terminal here), then the table.
    const apply = await cli('provision', 'apply');
    printed.push(apply.stdout);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    for (const h of ['gwa', 'gwb', 'gwc']) {
      for (const step of ['connect', 'preflight', 'inspect', 'upload', 'backup', 'install', 'reload', 'restart', 'verify']) {
        expect(apply.stdout).toMatch(new RegExp(`^${h}  ${step}\\s+ok`, 'm'));
      }
      expect(apply.stdout).toMatch(new RegExp(`^${h}\\s+applied: 8 files; start bulwark-gateway\\.service`, 'm'));
      const state = unitState(lab, h, 'bulwark-gateway.service');
      expect(state.active).toBe('active');
      const hz = health(lab, h, 9461);
      expect(hz).toMatchObject({ ok: true, role: 'gateway' });
      expect(hz.configSha256).toBe(fileSha(lab, h, '/etc/bulwark/gateway.json'));
    }
    expect(lab.exec('gwc', ['cat', '/etc/bulwark/gateway.json']).stdout).toContain('"listenPort": 51821');
    expect(lab.exec('gwa', ['stat', '-c', '%a %U', '/etc/bulwark/tls/gateway.key']).stdout).toBe('600 root\n');
    // The run is in the audit trail, with who started it and how it ended.
    const runs = await cli('provision', 'runs');
    expect(runs.stdout).toMatch(/^RUN\s+STARTED\s+BY\s+HOSTS\s+RESULT$/m);
    expect(runs.stdout.split('\n')[1]).toMatch(/^[0-9a-f-]{36}\s+\d+ s ago\s+cli:\S+\s+gwa,gwb,gwc\s+ok$/);

    // Core dials each provisioned agent over mutual TLS on the lab network: three links up.
    const links = await until('three links up', async () => {
      const l = await srv.client.call('links.list', {});
      return l.filter((x) => x.state === 'up' && x.healthy).length === 3 ? l : null;
    }, 20_000);
    expect(links.map((l) => l.agent)).toEqual(['gateway:gwa', 'gateway:gwb', 'gateway:gwc']);
    const status = await cli('status');
    expect(status.code).toBe(0);
    // The certificate Core issued at this apply: 90 days (the day may have turned since).
    const until90 = [0, 60e3].map((back) => new Date(Date.now() - back + 90 * 86400e3).toISOString().slice(0, 10)).join('|');
    expect(status.stdout).toMatch(new RegExp(`^gateway:gwa\\s+up\\s+\\d+ \\S+(?: \\d+ \\S+)? ago\\s+healthy\\s+0\\.1\\.0\\s+(${until90})\\s+0\\s+-$`, 'm'));
  }, 120_000);

  test('re-apply with nothing changed touches nothing', async () => {
    // Re-apply with nothing changed: touches nothing, restarts nothing.
    before = Object.fromEntries(['gwa', 'gwb', 'gwc'].map((h) => [h, { snap: snapshot(lab, h, { times: true }), unit: unitState(lab, h, 'bulwark-gateway.service') }]));
    const noop = await cli('provision', 'apply');
    expect(noop.code).toBe(0);
    expect(noop.stdout).toMatch(/Everything is up to date; nothing was touched\./);
    for (const h of ['gwa', 'gwb', 'gwc']) {
      expect(snapshot(lab, h, { times: true })).toBe(before[h]!.snap);
      expect(unitState(lab, h, 'bulwark-gateway.service')).toEqual(before[h]!.unit);
    }
  }, 120_000);

  test('a change to one location changes only its gateways', async () => {
    // Change one location: only its gateways change, with a diff of the config.
    expect((await cli('location', 'set', 'office', '--mfa', '--disconnect-threshold', '600')).code).toBe(0);
    const plan2 = await cli('provision', 'plan');
    printed.push(plan2.stdout);
    expect(plan2.stdout).toMatch(/^gwa \(gateway:office\): 1 file, 1 unit to change$/m);
    expect(plan2.stdout).toMatch(/^ {6}-\s+"mfa": false,$/m);
    expect(plan2.stdout).toMatch(/^ {6}\+\s+"disconnectThreshold": 600,$/m);
    expect(plan2.stdout).toMatch(/^ {2}restart bulwark-gateway\.service$/m);
    expect(plan2.stdout).toMatch(/^gwc \(gateway:branch\): up to date$/m);
    const apply2 = await cli('provision', 'apply');
    printed.push(apply2.stdout);
    expect(apply2.code).toBe(0);
    expect(apply2.stdout).toMatch(/^gwa\s+applied: 1 file; restart bulwark-gateway\.service/m);
    expect(apply2.stdout).toMatch(/^gwc\s+up to date/m);
    expect(unitState(lab, 'gwa', 'bulwark-gateway.service').pid).not.toBe(before.gwa!.unit.pid);
    expect(unitState(lab, 'gwc', 'bulwark-gateway.service')).toEqual(before.gwc!.unit);
    expect(snapshot(lab, 'gwc', { times: true })).toBe(before.gwc!.snap);
  }, 120_000);

  test("no secret reaches the audit trail or the CLI's output", async () => {
    // No secret reaches the audit trail or the CLI's output: not the location's WireGuard
    // private key, not the API token.
    const pki = srv.running.core.services.pki;
    const secrets = [srv.running.core.services.locations.privateKey('office'), srv.token, ...['gwa', 'gwb', 'gwc'].map((h) => pki.agentCertIfCurrent('gateway', h)!.keyPem.split('\n')[1]!)];
    const trail = JSON.stringify(await srv.client.call('events.list', { limit: 1000 }));
    expect(trail).toContain('provision.step');
    for (const secret of secrets) {
      for (const text of [trail, ...printed]) expect(text).not.toContain(secret);
    }
  }, 120_000);

  test('injected failures (sshd stopped, read-only unit directory) roll back file by file', async () => {
    // Injected failures while every host becomes an edge too. gwa: sshd stops as its upload
    // starts. gwb: the unit directory is read-only, so the commit fails after writing the
    // agent and its config. gwc: nothing wrong.
    for (const h of ['gwa', 'gwb', 'gwc']) await srv.client.call('edges.add', { host: h });
    const prior = Object.fromEntries(['gwa', 'gwb', 'gwc'].map((h) => [h, { snap: snapshot(lab, h, { skipStaging: h === 'gwa' }), unit: unitState(lab, h, 'bulwark-gateway.service') }]));
    lab.makeReadOnly('gwb', '/etc/systemd/system');
    const runId = 'fault-run-1';
    const seen: string[] = [];
    const stop = srv.running.core.onDidEvent((e) => {
      const d = ProvisionStepDetails.safeParse(e.details);
      if (e.kind !== 'provision.step' || !d.success || d.data.run !== runId) return;
      seen.push(`${d.data.host} ${d.data.step} ${d.data.status}`);
      // Synchronous, so the fault is in place before the upload sends a byte.
      if (d.data.host === 'gwa' && d.data.step === 'upload' && d.data.status === 'started') lab.stopSshd('gwa');
    });
    let faulty: ProvisionApplyOutput;
    try {
      // All at once: each host fails or succeeds on its own (a rolling apply would stop the edges' rollout at the first failure).
      faulty = await srv.client.call('provision.apply', { runId, order: 'all_at_once', allowOutage: true });
    } finally {
      stop();
    }
    const byHost = Object.fromEntries(faulty.hosts.map((h) => [h.host, h]));
    expect(faulty.ok).toBe(false);
    expect(byHost.gwa).toMatchObject({ outcome: 'failed', rolledBack: false, failure: { step: 'upload' } });
    expect(byHost.gwa!.failure!.message).toMatch(/host gwa: lost the SSH connection/);
    expect(byHost.gwa!.failure!.message).toMatch(/Nothing Bulwark installs was changed on the host/);
    expect(byHost.gwb).toMatchObject({ outcome: 'failed', rolledBack: true, failure: { step: 'install' } });
    expect(byHost.gwb!.failure!.message).toMatch(/cannot write \/etc\/systemd\/system\/bulwark-edge\.service: EROFS/);
    expect(byHost.gwc).toMatchObject({ outcome: 'applied', changedFiles: 5 });
    expect(seen).toEqual(expect.arrayContaining(['gwb install failed', 'gwb rollback started', 'gwb rollback ok']));
    // File by file, both failed hosts are where they were; their gateways never stopped.
    expect(snapshot(lab, 'gwb')).toBe(prior.gwb!.snap);
    expect(unitState(lab, 'gwb', 'bulwark-gateway.service')).toEqual(prior.gwb!.unit);
    expect(unitState(lab, 'gwb', 'bulwark-edge.service').active).not.toBe('active');
    expect(snapshot(lab, 'gwa', { skipStaging: true })).toBe(prior.gwa!.snap);
    expect(unitState(lab, 'gwa', 'bulwark-gateway.service')).toEqual(prior.gwa!.unit);
    expect(health(lab, 'gwc', 9462)).toMatchObject({ ok: true, role: 'edge' });
  }, 120_000);

  test('a re-run after the faults completes the failed hosts', async () => {
    // The faults go away; a re-run completes the two failed hosts and leaves gwc alone.
    lab.makeWritable('gwb', '/etc/systemd/system');
    lab.startSshd('gwa');
    const rerun = await cli('provision', 'apply');
    expect(rerun.code, rerun.stdout).toBe(0);
    expect(rerun.stdout).toMatch(/^gwa\s+applied: 5 files; start bulwark-edge\.service/m);
    expect(rerun.stdout).toMatch(/^gwb\s+applied: 5 files; start bulwark-edge\.service/m);
    expect(rerun.stdout).toMatch(/^gwc\s+up to date/m);
    for (const h of ['gwa', 'gwb']) expect(health(lab, h, 9462)).toMatchObject({ ok: true, role: 'edge' });
    expect(lab.exec('gwa', ['ls', '/var/lib/bulwark']).stdout.split('\n').filter(Boolean).sort()).toEqual(['edge', 'gateway', 'manifest.json']);
  }, 120_000);

  test("a failing restart is shown with its command and the unit's words, and rolled back", async () => {
    // A failure shown by the CLI names the host, the step, the command, the exit code and the
    // unit's own last lines. The admin edited the config by hand; a drop-in makes the next start
    // of the edge agent fail once, so the restart fails and the rollback's restart succeeds.
    lab.exec('gwa', ['sed', '-i', 's/"host": "gwa"/"host": "gwa-edited-by-hand"/', '/etc/bulwark/edge.json']);
    lab.exec('gwa', [
      'sh',
      '-c',
      'mkdir -p /etc/systemd/system/bulwark-edge.service.d && touch /run/fail-once && printf "%s\\n" "[Service]" "ExecStartPre=+/bin/sh -c \'if [ -e /run/fail-once ]; then rm /run/fail-once; echo agent says no >&2; exit 3; fi\'" > /etc/systemd/system/bulwark-edge.service.d/fail.conf && systemctl daemon-reload',
    ]);
    const broken = await cli('provision', 'apply', '--host', 'gwa');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^gwa: failed at restart: systemctl restart -- bulwark-edge\.service failed/m);
    expect(broken.stdout).toMatch(/^ {2}command: {3}systemctl restart -- bulwark-edge\.service$/m);
    expect(broken.stdout).toMatch(/^ {2}exit code: 1$/m);
    expect(broken.stdout).toMatch(/^ {4}agent says no$/m);
    expect(broken.stdout).toMatch(/The host was rolled back to its previous files and units\./);
    expect(lab.exec('gwa', ['cat', '/etc/bulwark/edge.json']).stdout).toContain('"host": "gwa-edited-by-hand"');
    expect(health(lab, 'gwa', 9462)).toMatchObject({ ok: true, host: 'gwa-edited-by-hand' });
    lab.exec('gwa', ['sh', '-c', 'rm -r /etc/systemd/system/bulwark-edge.service.d && systemctl daemon-reload']);
    const repaired = await cli('provision', 'apply', '--host', 'gwa');
    expect(repaired.stdout, repaired.stderr).toMatch(/^gwa\s+applied: 1 file; restart bulwark-edge\.service/m);
  }, 120_000);

  test("a re-created host's new key is refused before anything runs", async () => {
    // gwc re-created from the image: a new host key, refused before any command runs.
    lab.powerOff('gwc');
    await lab.boot('gwc');
    const refused = await cli('provision', 'apply', '--host', 'gwc');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^gwc: failed at connect: host gwc \(root@\S+\): its SSH host key changed from SHA256:\S+ to SHA256:\S+\. Nothing was run on it\. This may be an attack/m);
    // sshd saw no login: the key exchange stopped before authentication.
    expect(lab.exec('gwc', ['journalctl', '-u', 'ssh', '--no-pager']).stdout).not.toMatch(/Accepted publickey/);
  }, 120_000);

  test('a missing package is named with the command that installs it', async () => {
    // Re-pinned deliberately; a missing package is named with the command that installs it.
    const fresh = lab.exec('gwc', ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
    expect((await cli('host', 'check', 'gwc', '--repin', '--accept', fresh)).code).toBe(0);
    lab.exec('gwc', ['sh', '-c', 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q wireguard-tools >/dev/null 2>&1']);
    const noWg = await cli('provision', 'apply', '--host', 'gwc');
    expect(noWg.code).toBe(1);
    expect(noWg.stdout).toMatch(/^gwc: failed at preflight: host gwc is not ready:\n {2}- missing package wireguard-tools \(the wg command\)\n {2}Install wireguard-tools on gwc with "apt-get install -y wireguard-tools", or run the apply with --install-packages\./m);
    // With --install-packages Bulwark runs apt-get; the lab has no package mirror, so apt-get's own words come back.
    const tryInstall = await cli('provision', 'apply', '--host', 'gwc', '--install-packages');
    expect(tryInstall.code).toBe(1);
    expect(tryInstall.stdout).toMatch(/^ {2}command: {3}env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold --no-install-recommends wireguard-tools$/m);
    expect(tryInstall.stdout).toMatch(/^ {2}exit code: 100$/m);
    expect(tryInstall.stdout).toMatch(/Unable to locate package wireguard-tools|has no installation candidate|Unable to fetch/);
  }, 120_000);

  test("uninstall leaves no file or unit of Bulwark's on the host", async () => {
    // Uninstall leaves no file of Bulwark's on the host.
    const un = await cli('host', 'uninstall', 'gwb');
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toMatch(/^Stopped and disabled on gwb: bulwark-gateway\.service, bulwark-edge\.service$/m);
    expect(un.stdout).toMatch(/^ {2}\/opt\/bulwark\/bin\/node$/m);
    // Only what was there is listed: a gateway and edge never had the balancer's directory.
    expect(un.stdout).not.toContain('/opt/bulwark/balancer');
    // It no longer plays its roles, so the next plan does not put it all back.
    expect(un.stdout).toMatch(/^gwb is no longer gateway:\S+, edge: the next plan leaves it alone\.$/m);
    expect((await srv.client.call('hosts.get', { name: 'gwb' })).roles).toEqual([]);
    expect((await srv.client.call('provision.plan', {})).hosts.map((h) => h.host)).not.toContain('gwb');
    const leftovers = lab.exec('gwb', ['sh', '-c', 'ls -d /opt/bulwark /etc/bulwark /var/lib/bulwark 2>/dev/null; find / -xdev -name "bulwark*" 2>/dev/null']);
    expect(leftovers.stdout).toBe('');
    // systemd may still name the units it saw (as not-found, dead); none runs. In the lab this
    // happens because the hosts' systemd share cgroups (hybrid cgroups, no cgroup namespace), so
    // a unit's cgroup holds another host's agent; giving each host its own cgroup made the
    // provisioning tests fail under CI's parallel labs, so it is not done yet (#11).
    const units = lab.exec('gwb', ['systemctl', 'list-units', '--all', '--plain', '--no-legend', 'bulwark*']).stdout.trim().split('\n').filter(Boolean);
    for (const u of units) expect(u).toMatch(/^bulwark-(gateway|edge)\.service\s+not-found\s+inactive\s+dead/);
    expect(lab.exec('gwb', ['sh', '-c', 'cat /proc/net/tcp | grep -ci ":24F5 .* 0A "']).stdout.trim()).toBe('0');
    const again = await cli('host', 'uninstall', 'gwb');
    expect(again.stdout).toBe("Nothing of Bulwark's was on gwb.\n");
  }, 120_000);
});
