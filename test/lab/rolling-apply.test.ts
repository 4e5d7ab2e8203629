// Issue #16: a change to a live vrrp location, applied while a client pings through the
// floating IP every 50 ms. The admin changes keepalived's advert interval and Bulwark's gateway
// agent build (both gateways' agents restart). The rolling order changes the backup first, then
// hands the floating IP over from the master (keepalived stops gracefully; the standby starts
// the handshakes) and changes the old master, which stays BACKUP. Then the same with the first
// gateway's agent failing to start: the rollout stops there, the other gateway is untouched.
// The largest gap is printed, not asserted (bench/apply measures it). Also: an apply that
// restarts only the gateway agents (keepalived runs on and tells them nothing) leaves Core
// knowing each gateway's VRRP role, never "starting".
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { AGENTS_DIR, runCli, startInProcess } from '../helpers/server.js';
import { floatingIpLab, largestGap, TUNNEL_GATEWAY } from './floating-ip.js';
import { gatewayHealth } from './gateway-setup.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

/** A copy of the built agents whose gateway agent Core can "upgrade" (a new build: the file changes). */
function agentsCopy(): { dir: string; newGatewayBuild: (tag: string) => void; [Symbol.dispose](): void } {
  const base = mkdtempSync(join(tmpdir(), 'bulwark-agents-'));
  const dir = join(base, 'agents');
  cpSync(AGENTS_DIR, dir, { recursive: true, filter: (src) => !src.includes('/runtime') });
  symlinkSync(join(AGENTS_DIR, 'runtime'), join(dir, 'runtime'));
  return {
    dir,
    newGatewayBuild: (tag) => appendFileSync(join(dir, 'gateway.mjs'), `\n// build ${tag}\n`),
    [Symbol.dispose]: () => rmSync(base, { recursive: true, force: true }),
  };
}

describe.skipIf(missing !== null)('rolling apply on a live vrrp location', () => {
  test('the backup first, then a handover from the master; traffic keeps flowing, one holder, the old master stays BACKUP; a failure stops the rollout', async () => {
    await using lab = await Lab.create();
    using agents = agentsCopy();
    await using srv = await startInProcess({ agentsDir: agents.dir, link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const { cli, vip, settled, master } = await floatingIpLab(lab, srv);
    const backup = master === 'gw1' ? 'gw2' : 'gw1';

    // The change: adverts every 0.2 s, and a new gateway agent build.
    const failover = await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${lab.prefix.prefix}`, '--advert-interval', '0.2');
    expect(failover.code, failover.stderr).toBe(0);
    agents.newGatewayBuild('1');

    const plan = await cli('provision', 'plan');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Order (rolling: each failover location keeps serving):');
    expect(plan.stdout).toContain(`  wave 1: ${backup}\n`);
    expect(plan.stdout).toContain(`  wave 2: ${master} (hands ha's floating IP to ${backup})\n`);

    lab.exec('client', ['sh', '-c', `ping -D -i 0.05 -w 60 ${TUNNEL_GATEWAY} > /tmp/roll.out 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 2000));
    const apply = await cli('provision', 'apply');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(new RegExp(`wave 1 of 2 started: ${backup}\\n[\\s\\S]*wave 2 of 2 started: ${master}\\n`));
    expect(apply.stdout).toMatch(new RegExp(`^${master}\\s+applied: .*restart bulwark-gateway\\.service`, 'm'));

    // Settled: the standby took the floating IP, the old master is BACKUP, nobody lost a peer.
    const holder = await until('one holder after the rollout', () => settled(['gw1', 'gw2']), 20_000);
    expect(holder).toBe(backup);
    expect(gatewayHealth(lab, master).wireguard.locations[0]!.peers).toBe(1);
    expect(gatewayHealth(lab, backup).wireguard.locations[0]!.peers).toBe(1);
    const st = await srv.client.call('locations.status', { name: 'ha' });
    expect(st.gateways.find((g) => g.host === master)!.vrrp).toEqual({ role: 'BACKUP', holdsVip: false });
    expect(st.gateways.find((g) => g.host === backup)!.vrrp).toEqual({ role: 'MASTER', holdsVip: true });
    for (const g of ['gw1', 'gw2']) expect(lab.exec(g, ['cat', '/etc/bulwark/keepalived.conf']).stdout).toMatch(/advert_int 0\.2\b/);
    const steps = (await srv.client.call('events.list', { newest: true, limit: 1000 })).filter((e) => e.kind === 'provision.step').map((e) => e.details);
    expect(steps.some((d) => d.host === master && d.step === 'handover' && d.status === 'ok' && String(d.message).startsWith(`gave up ${vip} (ha)`))).toBe(true);
    expect(steps.some((d) => d.host === backup && d.step === 'handover')).toBe(false);

    await until('the ping to finish', () => lab.exec('client', ['sh', '-c', 'grep -c "packet loss" /tmp/roll.out || true']).stdout.trim() === '1', 90_000);
    const pingOut = lab.exec('client', ['cat', '/tmp/roll.out']).stdout;
    const ping = largestGap(pingOut);
    console.log(`rolling apply (advert interval and agent build on both gateways): largest gap ${ping.gapMs.toFixed(0)} ms; ${/\d+ packets transmitted, \d+ received, [\d.]+% packet loss/.exec(pingOut)?.[0] ?? ''}`);
    expect(lab.exec('client', ['wg', 'show', 'wg0', 'endpoints']).stdout).toContain(`${vip}:51820`);

    // A failure: the backup (changed first) fails to start its new agent once; its rollback
    // succeeds. The rollout of "ha" stops there and the master is not touched.
    const nowMaster = backup;
    const first = master; // BACKUP now, so it goes first
    agents.newGatewayBuild('2');
    const failOnce =
      'mkdir -p /etc/systemd/system/bulwark-gateway.service.d && touch /run/fail-once && printf "%s\\n" "[Service]" "ExecStartPre=+/bin/sh -c \'if [ -e /run/fail-once ]; then rm /run/fail-once; echo agent says no >&2; exit 3; fi\'" > /etc/systemd/system/bulwark-gateway.service.d/fail.conf && systemctl daemon-reload';
    expect(lab.exec(first, ['sh', '-c', failOnce]).code).toBe(0);
    const masterAgentBefore = gatewayHealth(lab, nowMaster);
    const failed = await cli('provision', 'apply');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(new RegExp(`^${first}\\s+FAILED at (restart|verify), rolled back`, 'm'));
    expect(failed.stdout).toMatch(new RegExp(`^${nowMaster}\\s+not changed \\(rollout stopped\\)`, 'm'));
    expect(failed.stdout).toContain(`The rollout of location ha stopped: ${first} failed at`);
    expect(failed.stdout).toContain(`${nowMaster} kept the old version. The location keeps serving from them.`);
    // The master runs the agent it ran before, and still holds the floating IP.
    const masterAgentAfter = gatewayHealth(lab, nowMaster);
    expect(masterAgentAfter).toMatchObject({ ok: true });
    expect(masterAgentAfter.startedAt).toBe(masterAgentBefore.startedAt);
    expect(await until('one holder after the failed rollout', () => settled(['gw1', 'gw2']), 20_000)).toBe(nowMaster);
    expect(lab.exec('client', ['ping', '-c', '3', '-i', '0.2', '-W', '1', TUNNEL_GATEWAY]).code).toBe(0);
    // Resume: with the cause gone, the same apply finishes the rollout.
    lab.exec(first, ['sh', '-c', 'rm -rf /etc/systemd/system/bulwark-gateway.service.d && systemctl daemon-reload']);
    const resumed = await cli('provision', 'apply');
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);

    // With the standby gone, changing the master would cut the clients off: refused, nothing changed.
    const holderNow = await until('one holder after the resumed rollout', () => settled(['gw1', 'gw2']), 20_000);
    const standby = holderNow === 'gw1' ? 'gw2' : 'gw1';
    lab.cutLink(standby);
    await until(`Core to see ${standby} gone`, async () => (await srv.client.call('locations.status', { name: 'ha' })).gateways.find((g) => g.host === standby)?.link !== 'up', 20_000);
    const planned = await cli('provision', 'plan', '--restart', '--host', holderNow);
    expect(planned.stdout).toMatch(new RegExp(`OUTAGE: location ha loses service while ${holderNow} is changed: no other gateway is ready to take its clients \\(${standby}: link `));
    const refused = await cli('provision', 'apply', '--restart', '--host', holderNow);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`location ha loses service while ${holderNow} is changed`);
    expect(refused.stderr).toContain('Nothing was changed.');
    expect(await until('the master still holds it', () => settled([holderNow]), 10_000)).toBe(holderNow);
    lab.cutLink(standby, false);
  }, 400_000);

  // The admin's report: after an apply that restarted only the gateway agents, both gateways
  // showed VRRP role "starting" (null) for over 50 s while one held the floating IP. keepalived
  // runs on, so it tells the new agents nothing: each must infer its role from its running
  // keepalived and the floating IP at its first health check. All at once, since a rolling
  // apply also restarts the master's keepalived (the handover). The apply itself waits (settle)
  // until Core sees the roles, so "starting" is timed while it runs, not only after it.
  test('an apply that restarts only the gateway agents: Core shows MASTER on the holder and BACKUP on the other within seconds, and never "starting" after', async () => {
    await using lab = await Lab.create();
    using agents = agentsCopy();
    await using srv = await startInProcess({ agentsDir: agents.dir, link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const { cli, vip } = await floatingIpLab(lab, srv);
    const keepalivedPid = (h: string) => lab.exec(h, ['systemctl', 'show', '-p', 'MainPID', '--value', 'bulwark-keepalived.service']).stdout.trim();
    const keepalivedBefore = ['gw1', 'gw2'].map(keepalivedPid);
    /** Each gateway as Core shows it, "starting" for a linked gateway without a role: "gw1 MASTER+vip, gw2 BACKUP". */
    const view = async () => (await srv.client.call('locations.status', { name: 'ha' })).gateways.map((g) => ({ host: g.host, text: `${g.link !== 'up' ? `link ${g.link}` : (g.vrrp?.role ?? 'starting')}${g.vrrp?.holdsVip ? '+vip' : ''}` }));
    const roles = async () => (await view()).map((g) => `${g.host} ${g.text}`).join(', ');

    // While the apply runs: the longest stretch each gateway is shown "starting" (sampled every 100 ms).
    const starting = new Map<string, { since: number | null; longestMs: number }>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const now = Date.now();
        for (const g of await view()) {
          const s = starting.get(g.host) ?? { since: null, longestMs: 0 };
          if (g.text.startsWith('starting')) s.since ??= now;
          else s.since = null;
          if (s.since !== null) s.longestMs = Math.max(s.longestMs, now - s.since);
          starting.set(g.host, s);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    agents.newGatewayBuild('agents-only');
    const apply = await cli('provision', 'apply', '--all-at-once', '--allow-outage');
    watching = false;
    await watcher;
    const startingMs = ['gw1', 'gw2'].map((g) => `${g} ${starting.get(g)?.longestMs ?? 0} ms`).join(', ');
    console.log(`agents-only apply (${/Done\. \(([\d.]+ s)\)/.exec(apply.stdout)?.[1] ?? 'failed'}): longest "starting" while it ran: ${startingMs}`);
    for (const g of ['gw1', 'gw2']) expect(starting.get(g)?.longestMs ?? 0, `${g} shown "starting" during the apply (${startingMs})`).toBeLessThan(10_000);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    for (const g of ['gw1', 'gw2']) expect(apply.stdout).toMatch(new RegExp(`^${g}\\s+applied: 1 file; restart bulwark-gateway\\.service\\s`, 'm'));
    expect(['gw1', 'gw2'].map(keepalivedPid), 'keepalived ran on').toEqual(keepalivedBefore);

    // The host that holds the floating IP is the master, the other the backup; it stays so.
    const holder = ['gw1', 'gw2'].find((g) => lab.exec(g, ['ip', '-4', '-o', 'addr', 'show']).stdout.includes(`inet ${vip}/`));
    expect(holder, 'a gateway holds the floating IP').toBeDefined();
    const want = ['gw1', 'gw2'].map((g) => (g === holder ? `${g} MASTER+vip` : `${g} BACKUP`)).join(', ');
    let seen = '';
    await until(`Core to show ${want}`, async () => (seen = await roles()) === want, 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; it shows ${seen}`);
    });
    for (const end = Date.now() + 3000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) expect(await roles()).toBe(want);
    const status = await cli('status', '--location', 'ha');
    expect(status.stdout).not.toContain('starting');
    expect(status.stdout).toMatch(new RegExp(`^${holder}\\s.*MASTER, holds the floating IP`, 'm'));
  }, 300_000);

  test('lb: one gateway at a time, drained at the balancer first; clients of the gateway not changed yet do not move', async () => {
    await using lab = await Lab.create();
    using agents = agentsCopy();
    await using srv = await startInProcess({ agentsDir: agents.dir, link: { heartbeatMs: 300, downAfterMs: 2000 } });
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [gw1, gw2, lb] = await Promise.all([lab.boot('gw1'), lab.boot('gw2'), lab.boot('lb'), lab.boot('c1'), lab.boot('c2')]);
    expect((await cli('location', 'add', 'lbt', '--network', '10.78.0.0/24', '--endpoint', `${lb!.address}:51820`)).code).toBe(0);
    for (const h of [gw1!, gw2!, lb!]) {
      await srv.client.call('hosts.create', { name: h.name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
      const own = lab.exec(h.name, ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
      await srv.client.call('hosts.check', { name: h.name, accept: own });
    }
    for (const g of ['gw1', 'gw2']) await srv.client.call('gateways.add', { location: 'lbt', host: g });
    expect((await cli('location', 'failover', 'lbt', '--mode', 'lb', '--lb-host', 'lb')).code).toBe(0);
    const first = await cli('provision', 'apply');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const inRotation = async () => (await srv.client.call('locations.status', { name: 'lbt' })).gateways.filter((g) => g.lb?.inRotation).map((g) => g.host);
    await until('both gateways in rotation', async () => (await inRotation()).length === 2, 30_000);

    // Clients until both gateways have one (nginx hashes the client's address).
    const keys = new Map<string, string>();
    const gatewayOf = (c: string) => {
      const at = (g: string) => Number(lab.exec(g, ['wg', 'show', 'bw-lbt', 'latest-handshakes']).stdout.split('\n').find((l) => l.startsWith(keys.get(c)!))?.split('\t')[1] ?? 0);
      return at('gw1') >= at('gw2') ? 'gw1' : 'gw2';
    };
    const sticky = new Map<string, string>();
    for (let i = 1; i <= 6 && new Set(sticky.values()).size < 2; i++) {
      const c = `c${i}`;
      if (i > 2) await lab.boot(c);
      const device = await cli('device', 'add', '--location', 'lbt', c);
      expect(lab.exec(c, ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device.stdout]).code).toBe(0);
      keys.set(c, lab.exec(c, ['wg', 'show', 'wg0', 'public-key']).stdout.trim());
      await until(`traffic from ${c}`, () => lab.exec(c, ['ping', '-c', '1', '-W', '1', '10.78.0.1']).code === 0, 15_000);
      sticky.set(c, gatewayOf(c));
    }
    expect(new Set(sticky.values()).size, 'six clients all hashed to one gateway').toBe(2);

    agents.newGatewayBuild('lb');
    const plan = await cli('provision', 'plan');
    expect(plan.stdout).toContain("  wave 1: gw1 (out of lb's rotation for lbt meanwhile)\n  wave 2: gw2 (out of lb's rotation for lbt meanwhile)\n");
    const WINDOW_S = 90;
    for (const c of sticky.keys()) lab.exec(c, ['sh', '-c', `ping -D -i 0.1 -w ${WINDOW_S} 10.78.0.1 > /tmp/roll.out 2>&1 &`]);
    await new Promise((r) => setTimeout(r, 2000));
    const apply = await cli('provision', 'apply');
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const events = await srv.client.call('events.list', { newest: true, limit: 1000 });
    // This apply's second wave (the first apply, from nothing, had waves too): the newest.
    const wave2 = events.filter((e) => e.kind === 'provision.wave' && e.details.index === 1 && e.details.status === 'started').at(-1);
    expect(wave2).toBeDefined();
    const wave2At = Date.parse(wave2!.time);
    for (const g of ['gw1', 'gw2']) {
      expect(events.some((e) => e.kind === 'balancer.gateway_out' && e.details.gateway === g && /rolling apply/.test(String(e.details.reason))), `${g} drained`).toBe(true);
    }
    await until('both gateways back in rotation', async () => (await inRotation()).length === 2, 30_000);

    for (const c of sticky.keys()) await until(`the ping of ${c}`, () => lab.exec(c, ['sh', '-c', 'grep -c "packet loss" /tmp/roll.out || true']).stdout.trim() === '1', 120_000);
    for (const [c, g] of sticky) {
      const times = [...lab.exec(c, ['cat', '/tmp/roll.out']).stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
      const before = times.filter((t) => t < wave2At);
      let gap = 0;
      for (let i = 1; i < before.length; i++) gap = Math.max(gap, before[i]! - before[i - 1]!);
      console.log(`lb rolling apply: ${c} on ${g}: largest gap before gw2's turn ${gap.toFixed(0)} ms; last reply ${((times.at(-1)! - wave2At) / 1000).toFixed(0)} s after it`);
      // gw2's clients did not move while gw1 was changed; everyone has traffic at the end.
      if (g === 'gw2') {
        // They answered all through the preparation and gw1's turn (drain, commit, settle, undrain: seconds).
        expect(before.length, `${c}: replies before gw2's turn`).toBeGreaterThan(30);
        expect(gap, `${c} kept gw2 during gw1's turn`).toBeLessThan(5000);
      }
      expect(times.at(-1)!, `${c}: traffic at the end`).toBeGreaterThan(Date.now() - 15_000);
    }
    for (const g of ['gw1', 'gw2']) expect(lab.exec(g, ['wg', 'show', 'bw-lbt', 'peers']).stdout.trim().split('\n'), g).toHaveLength(sticky.size);
  }, 400_000);
});
