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
import { addressAt } from '../../src-main/net/ip.js';
import { startBench } from '../lab-core.js';
import { clientPing, fmt, median, sleep } from '../lab-ping.js';

const RUNS = Number(process.env.RUNS ?? 5);
/** Seconds the client pings around a fault with takeover (the passive standby gets 22). */
const WINDOW_S = Number(process.env.WINDOW_S ?? 5);
const { lab, core, cli, gatewaysOf, stop } = await startBench('failover');
try {
  const hosts = await Promise.all(['gw1', 'gw2', 'client', 'lb'].map((h) => lab.boot(h)));
  const vip = addressAt(lab.prefix, 25n);
  await gatewaysOf('ha', '10.80.0.0/24', `${vip}:51820`, hosts.slice(0, 2));
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

  const { gapDuring, flowing } = clientPing(lab, '10.80.0.1');
  const agentPid = (h: string) => lab.exec(h, ['systemctl', 'show', '-p', 'MainPID', '--value', 'bulwark-gateway.service']).stdout.trim();

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
  await stop();
}
