// Issue #16: a change to a live vrrp location, applied while a client pings through the
// floating IP every 50 ms. The admin changes keepalived's advert interval and Bulwark's gateway
// agent build (both gateways' agents restart). The rolling order changes the backup first, then
// hands the floating IP over from the master (keepalived stops gracefully; the standby starts
// the handshakes) and changes the old master, which stays BACKUP. Then the same with the first
// gateway's agent failing to start: the rollout stops there, the other gateway is untouched.
// The largest gap is printed, not asserted (bench/apply measures it).
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { AGENTS_DIR, startInProcess } from '../helpers/server.js';
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
    expect(failed.stdout).toContain(`${nowMaster} kept the old version. The location keeps serving from its other gateways.`);
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
  }, 400_000);
});
