// bench/failover: how long traffic stops when the active gateway of a floating IP fails, on
// real lab hosts (two provisioned gateways with keepalived, a wireguard-go client pinging
// through the tunnel every 10 ms). In one run, RUNS times each:
//  (a) a passive standby: the same keepalived config, but the standby's agent is paused
//      (SIGSTOP) so it starts no handshakes: plain keepalived, as defguard's guide describes;
//  (b) Bulwark's takeover, at the default 0.1 s adverts and at 0.05 s;
//  (c) failback: the floating IP goes back (graceful keepalived stop on the new master) to the
//      gateway that held it before and still has the old session keys;
//  (d) lb mode: the same two gateways behind a third host running Bulwark's balancer (nginx
//      stream, sticky by client address, its agent's health checks): the link of the gateway
//      the client is stuck to is cut; then, restored, it comes back into rotation (d').
// The fault is a link cut of the master. Gap = the longest time between two ping replies.
// Run as root: npm run bench:failover
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serve } from '../../src-main/serve.js';
import { addressAt } from '../../src-main/net/ip.js';
import { Lab, labMissing } from '../../test/lab/scenario.js';

const RUNS = Number(process.env.RUNS ?? 5);
/** Seconds the client pings around a fault with takeover (the passive standby gets 22). */
const WINDOW_S = Number(process.env.WINDOW_S ?? 5);
const root = `${process.cwd()}/`;
const missing = labMissing();
if (missing) {
  console.error(`bench/failover cannot run: ${missing}`);
  process.exit(1);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms  [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]  (${xs.map((x) => x.toFixed(0)).join(', ')})`;

const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-failover-'));
const lab = await Lab.create();
const dataDir = join(base, 'data');
const running = await serve({ dataDir, listen: '127.0.0.1:0', agentsDir: join(root, 'dist/agents'), log: pino({ level: 'silent' }), link: { heartbeatMs: 300, downAfterMs: 2000 } });
/** The built CLI, as an admin runs it. */
const cli = async (...args: string[]) => {
  try {
    return (await promisify(execFile)(process.execPath, [join(root, 'dist/bulwark.mjs'), '--data-dir', dataDir, ...args])).stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`bulwark ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
};
try {
  const core = running.core;
  const hosts = await Promise.all(['gw1', 'gw2', 'client', 'lb'].map((h) => lab.boot(h)));
  const vip = addressAt(lab.prefix, 25n);
  await cli('location', 'add', 'ha', '--network', '10.80.0.0/24', '--endpoint', `${vip}:51820`);
  for (const h of hosts.slice(0, 2)) {
    await core.invoke('hosts.create', { name: h.name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
    await core.invoke('hosts.check', { name: h.name, accept: (await core.invoke('hosts.check', { name: h.name })).fingerprint });
    await core.invoke('gateways.add', { location: 'ha', host: h.name });
  }
  const holder = async (): Promise<string | null> => {
    const st = await core.invoke('locations.status', { name: 'ha' });
    const up = st.gateways.filter((g) => g.link === 'up' && g.healthy).length;
    return st.failover.holders.length === 1 && st.failover.problems.length === 0 && up === 2 ? st.failover.holders[0]! : null;
  };
  const settle = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const h = await holder();
      if (h) return h;
      if (Date.now() > deadline) throw new Error(`the floating IP did not settle: ${JSON.stringify((await core.invoke('locations.status', { name: 'ha' })).failover)}`);
      await sleep(100);
    }
  };
  const setAdvert = async (s: number) => {
    await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${lab.prefix.prefix}`, '--advert-interval', String(s));
    await cli('provision', 'apply');
    await settle();
  };
  await setAdvert(0.1);
  const device = await cli('device', 'add', '--location', 'ha', 'laptop');
  lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device]);
  await sleep(3000);

  /** Runs `act` while the client pings every 10 ms; returns the longest gap between replies. */
  const gapDuring = async (act: () => Promise<void>, windowS: number, target = '10.80.0.1'): Promise<number> => {
    lab.exec('client', ['sh', '-c', `rm -f /tmp/b.out; ping -D -i 0.01 -w ${windowS} ${target} > /tmp/b.out 2>&1 &`]);
    await sleep(1000);
    const actAt = Date.now();
    await act();
    const deadline = Date.now() + (windowS + 10) * 1000;
    while (!lab.exec('client', ['cat', '/tmp/b.out']).stdout.includes('packet loss')) {
      if (Date.now() > deadline) throw new Error('ping did not finish');
      await sleep(200);
    }
    const out = lab.exec('client', ['cat', '/tmp/b.out']).stdout;
    const replies = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from \S+ icmp_seq=(\d+)/gm)].map((m) => ({ at: Number(m[1]) * 1000, seq: Number(m[2]) }));
    // A gap counts only when the traffic came back: the last reply must be well after the fault.
    const last = Math.max(0, ...replies.map((r) => r.at));
    if (last < actAt + 1000) throw new Error(`traffic did not come back within ${windowS - 1} s of the fault (last reply ${((last - actAt) / 1000).toFixed(2)} s after it)`);
    // The outage: the longest run of pings that got no answer (found by sequence number, so
    // replies that arrive late or in a burst do not hide it), timed from the reply before it to
    // the reply after it (ping -i 0.01 sends every ~16 ms here, not every 10 ms).
    const answered = new Set(replies.map((r) => r.seq));
    const at = new Map(replies.map((r) => [r.seq, r.at]));
    const maxSeq = Math.max(...answered);
    let run = 0;
    let longest = 0;
    let gap = 0;
    for (let q = Math.min(...answered); q <= maxSeq; q++) {
      if (answered.has(q)) {
        if (run > longest) {
          longest = run;
          gap = at.get(q)! - at.get(q - run - 1)!;
        }
        run = 0;
      } else run += 1;
    }
    if (process.env.VERBOSE) {
      const lost: string[] = [];
      for (let q = 1, start = -1; q <= maxSeq + 1; q++) {
        if (!answered.has(q) && q <= maxSeq) start = start < 0 ? q : start;
        else if (start >= 0) lost.push(`${start}-${q - 1}`), (start = -1);
      }
      console.log(`    ${/\d+ packets transmitted.*/.exec(out)?.[0]}; answered seq ${Math.min(...answered)}..${maxSeq}; lost ${lost.join(' ') || 'none inside'}; fault at seq ~${Math.round((actAt - (replies[0]?.at ?? actAt)) / 10) + Math.min(...answered)}`);
    }
    return gap;
  };
  const agentPid = (h: string) => lab.exec(h, ['systemctl', 'show', '-p', 'MainPID', '--value', 'bulwark-gateway.service']).stdout.trim();

  /** Traffic flows steadily: 50 pings 10 ms apart, at most one lost (waits up to 30 s). */
  const flowing = async (target = '10.80.0.1', waitMs = 30_000) => {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const r = lab.exec('client', ['ping', '-q', '-c', '50', '-i', '0.01', '-W', '1', target]).stdout;
      const got = Number(/(\d+) received/.exec(r)?.[1] ?? 0);
      if (got >= 49) return;
      if (Date.now() > deadline) throw new Error(`traffic does not flow steadily before the fault: ${r.trim().split('\n').at(-2)}`);
    }
  };

  /** One failover: cut the master's link, measure, restore, settle. With passive, the standby's agent is paused. */
  const failover = async (passive: boolean, windowS: number) => {
    await settle();
    await flowing();
    const master = await settle();
    const standby = master === 'gw1' ? 'gw2' : 'gw1';
    if (process.env.VERBOSE) console.log(`    client endpoint ${lab.exec('client', ['wg', 'show', 'wg0', 'endpoints']).stdout.trim().split('\t')[1]}; gw1 ${lab.exec('gw1', ['wg', 'show', 'bw-ha', 'endpoints']).stdout.trim().split('\t')[1]}; gw2 ${lab.exec('gw2', ['wg', 'show', 'bw-ha', 'endpoints']).stdout.trim().split('\t')[1]}`);
    if (process.env.VERBOSE) console.log(`    cutting ${master}'s link; ${lab.exec(master, ['ip', '-4', '-br', 'addr', 'show', 'eth0']).stdout.trim()} / ${lab.exec(standby, ['ip', '-4', '-br', 'addr', 'show', 'eth0']).stdout.trim()}`);
    const pid = agentPid(standby);
    if (passive) lab.exec(standby, ['kill', '-STOP', pid]);
    try {
      return await gapDuring(async () => lab.cutLink(master), windowS);
    } finally {
      if (passive) lab.exec(standby, ['kill', '-CONT', pid]);
      lab.cutLink(master, false);
      await settle();
      await sleep(1500);
    }
  };
  /** Failback: the floating IP goes back to the previous master (still holding its old session keys). */
  const failback = async () => {
    const first = await settle();
    await failover(false, WINDOW_S); // now the other one holds it; `first` keeps its old keys
    const now = await settle();
    if (now === first) throw new Error('failover did not move the floating IP');
    await flowing();
    const gap = await gapDuring(async () => void lab.exec(now, ['systemctl', 'stop', 'bulwark-keepalived.service']), WINDOW_S);
    lab.exec(now, ['systemctl', 'start', 'bulwark-keepalived.service']);
    await settle();
    await sleep(1500);
    return gap;
  };

  const results: Record<string, number[]> = { a: [], b: [], b05: [], c: [], d: [], d2: [] };
  for (let i = 0; i < RUNS; i++) {
    console.log(`run ${i + 1}/${RUNS}: passive standby`);
    results.a!.push(await failover(true, 22));
    console.log(`run ${i + 1}/${RUNS}: Bulwark takeover, 0.1 s adverts`);
    results.b!.push(await failover(false, WINDOW_S));
    console.log(`run ${i + 1}/${RUNS}: failback`);
    results.c!.push(await failback());
  }
  await setAdvert(0.05);
  for (let i = 0; i < RUNS; i++) {
    console.log(`run ${i + 1}/${RUNS}: Bulwark takeover, 0.05 s adverts`);
    results.b05!.push(await failover(false, WINDOW_S));
  }

  // (d) lb mode: a second location on the same gateways, behind the balancer on `lb`.
  const lbHost = hosts[3]!;
  await cli('location', 'add', 'lbl', '--network', '10.81.0.0/24', '--endpoint', `${lbHost.address}:51821`);
  await core.invoke('hosts.create', { name: 'lb', ssh: `root@${lbHost.address}`, identityFile: lab.keyFile });
  await core.invoke('hosts.check', { name: 'lb', accept: (await core.invoke('hosts.check', { name: 'lb' })).fingerprint });
  for (const g of ['gw1', 'gw2']) await core.invoke('gateways.add', { location: 'lbl', host: g });
  await cli('location', 'failover', 'lbl', '--mode', 'lb', '--lb-host', 'lb');
  await cli('provision', 'apply');
  const inRotation = async () => (await core.invoke('locations.status', { name: 'lbl' })).gateways.filter((g) => g.lb?.inRotation).map((g) => g.host);
  const waitRotation = async (n: number) => {
    const deadline = Date.now() + 60_000;
    while ((await inRotation()).length !== n) {
      if (Date.now() > deadline) throw new Error(`the balancer did not get to ${n} gateways in rotation: ${JSON.stringify((await core.invoke('locations.status', { name: 'lbl' })).failover)}`);
      await sleep(200);
    }
  };
  await waitRotation(2);
  const lbDevice = await cli('device', 'add', '--location', 'lbl', 'laptop-lb');
  lab.exec('client', ['sh', '-c', 'umask 077 && printf "%s" "$1" > /etc/wireguard/wg1.conf && wg-quick up wg1', 'sh', lbDevice]);
  const lbKey = lab.exec('client', ['wg', 'show', 'wg1', 'public-key']).stdout.trim();
  /** The gateway the client talks to now: the one with its newest handshake (the other may hold an older one). */
  const stuckTo = () => {
    const at = (g: string) => Number(lab.exec(g, ['wg', 'show', 'bw-lbl', 'latest-handshakes']).stdout.split('\n').find((l) => l.startsWith(lbKey))?.split('\t')[1] ?? 0);
    const [a, b] = [at('gw1'), at('gw2')];
    return a === 0 && b === 0 ? undefined : a >= b ? 'gw1' : 'gw2';
  };
  results.d = [];
  results.d2 = [];
  for (let i = 0; i < RUNS; i++) {
    await flowing('10.81.0.1', 60_000);
    const gw = stuckTo();
    if (!gw) throw new Error('the lb client has no handshake with either gateway');
    console.log(`run ${i + 1}/${RUNS}: lb mode, the client's gateway ${gw} loses its link`);
    results.d.push(await gapDuring(async () => lab.cutLink(gw), 35, '10.81.0.1'));
    await waitRotation(1);
    console.log(`run ${i + 1}/${RUNS}: lb mode, ${gw} comes back into rotation`);
    results.d2.push(
      await gapDuring(
        async () => {
          lab.cutLink(gw, false);
          await waitRotation(2);
        },
        35,
        '10.81.0.1',
      ),
    );
  }

  console.log('\nfailover gap (from the last reply before the longest run of unanswered pings to the first after it; pings every 10-16 ms through the tunnel; fault: link cut of the master)');
  console.log(`  (a)  passive standby, 0.1 s adverts:        ${fmt(results.a!)}`);
  console.log(`  (b)  Bulwark takeover, 0.1 s adverts:       ${fmt(results.b!)}   goal median < 500 ms: ${median(results.b!) < 500 ? 'met' : 'MISSED'}`);
  console.log(`  (b') Bulwark takeover, 0.05 s adverts:      ${fmt(results.b05!)}   goal median < 200 ms: ${median(results.b05!) < 200 ? 'met' : 'MISSED'}`);
  console.log(`  (c)  failback to the old master, 0.1 s:     ${fmt(results.c!)}   goal max < 500 ms: ${Math.max(...results.c!) < 500 ? 'met' : 'MISSED'}`);
  const ratio = median(results.a!) / median(results.b!);
  console.log(`  ratio (a)/(b): ${ratio.toFixed(1)}x   goal >= 20x: ${ratio >= 20 ? 'met' : 'MISSED'}`);
  console.log(`  (d)  lb mode, the client's gateway fails:  ${fmt(results.d!)}`);
  console.log(`  (d') lb mode, that gateway returns:        ${fmt(results.d2!)}`);
  console.log(`  ratio (d)/(b): ${(median(results.d!) / median(results.b!)).toFixed(1)}x slower than Bulwark's takeover`);
} catch (err) {
  console.error('bench/failover failed:', err);
  process.exitCode = 1;
} finally {
  await running.stop();
  await lab.down();
  rmSync(base, { recursive: true, force: true });
}
