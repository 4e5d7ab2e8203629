// bench/apply: how long traffic stops while `bulwark provision apply` changes a live vrrp
// location, on real lab hosts (two provisioned gateways with keepalived, a wireguard-go client
// pinging through the floating IP every ~10 ms). In one run, RUNS times each:
//  (a) all at once (`--all-at-once --allow-outage --restart`): keepalived and the agent restart
//      on both gateways at the same moment, as every apply did before the rolling order;
//  (b) rolling (`--restart`): the backup first, then the master after a graceful handover;
//  (c) rolling, keepalived.conf changed (the advert interval): keepalived re-reads it (reload),
//      nothing restarts.
// Reported: the largest gap, the ratio (a)/(b), and how long each apply took.
// Run as root: npm run bench:apply
import { addressAt } from '../../src-main/net/ip.js';
import { startBench } from '../lab-core.js';
import { clientPing, fmt, median, sleep } from '../lab-ping.js';

const RUNS = Number(process.env.RUNS ?? 5);
/** Seconds the client pings around one apply. */
const WINDOW_S = Number(process.env.WINDOW_S ?? 45);
const { lab, core, cli, gatewaysOf, stop } = await startBench('apply');
try {
  const hosts = await Promise.all(['gw1', 'gw2', 'client'].map((h) => lab.boot(h)));
  const vip = addressAt(lab.prefix, 25n);
  await gatewaysOf('ha', '10.80.0.0/24', `${vip}:51820`, hosts.slice(0, 2));
  const settle = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = await core.invoke('locations.status', { name: 'ha' });
      const up = st.gateways.filter((g) => g.link === 'up' && g.healthy && (g.vrrp?.role === 'MASTER' || g.vrrp?.role === 'BACKUP')).length;
      if (st.failover.holders.length === 1 && st.failover.problems.length === 0 && up === 2) return st.failover.holders[0]!;
      if (Date.now() > deadline) throw new Error(`the floating IP did not settle: ${JSON.stringify(st.failover)}`);
      await sleep(100);
    }
  };
  let advert = 0.1;
  const setAdvert = async (s: number) => {
    advert = s;
    await cli('location', 'failover', 'ha', '--mode', 'vrrp', '--vip', `${vip}/${lab.prefix.prefix}`, '--advert-interval', String(s));
  };
  await setAdvert(0.1);
  await cli('provision', 'apply');
  await settle();
  const device = await cli('device', 'add', '--location', 'ha', 'laptop');
  lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device]);
  await sleep(3000);
  const { gapDuring, flowing } = clientPing(lab, '10.80.0.1');

  /** One apply while the client pings: its outage and how long the apply took. */
  const measure = async (args: string[]) => {
    await settle();
    await flowing();
    await sleep(1500); // the standby hears where the client is (Core relays it)
    let took = 0;
    const gap = await gapDuring(async () => {
      const t0 = Date.now();
      await cli('provision', 'apply', ...args);
      took = Date.now() - t0;
    }, WINDOW_S);
    await settle();
    return { gap, took };
  };

  const results = { a: [] as number[], b: [] as number[], c: [] as number[] };
  const took = { a: [] as number[], b: [] as number[], c: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    console.log(`run ${i + 1}/${RUNS}: all at once, keepalived and the agent restart on both gateways`);
    const a = await measure(['--restart', '--all-at-once', '--allow-outage']);
    console.log(`    gap ${a.gap.toFixed(0)} ms, apply ${(a.took / 1000).toFixed(1)} s`);
    results.a.push(a.gap);
    took.a.push(a.took);
    console.log(`run ${i + 1}/${RUNS}: rolling, keepalived and the agent restart on both gateways`);
    const b = await measure(['--restart']);
    console.log(`    gap ${b.gap.toFixed(0)} ms, apply ${(b.took / 1000).toFixed(1)} s`);
    results.b.push(b.gap);
    took.b.push(b.took);
    console.log(`run ${i + 1}/${RUNS}: rolling, keepalived.conf changed (advert interval): reload`);
    await setAdvert(advert === 0.1 ? 0.12 : 0.1);
    const c = await measure([]);
    console.log(`    gap ${c.gap.toFixed(0)} ms, apply ${(c.took / 1000).toFixed(1)} s`);
    results.c.push(c.gap);
    took.c.push(c.took);
  }

  const s = (xs: number[]) => `median ${(median(xs) / 1000).toFixed(1)} s`;
  console.log('\ntraffic gap during an apply (the longest run of unanswered pings, timed reply to reply; pings every 10-16 ms through the floating IP)');
  console.log(`  (a) all at once, restart on both:       ${fmt(results.a)}   apply ${s(took.a)}`);
  console.log(`  (b) rolling, restart on both:           ${fmt(results.b)}   apply ${s(took.b)}   goal median < 200 ms: ${median(results.b) < 200 ? 'met' : 'MISSED'}`);
  console.log(`  (c) rolling, keepalived.conf (reload):  ${fmt(results.c)}   apply ${s(took.c)}`);
  const ratio = median(results.a) / Math.max(1, median(results.b));
  console.log(`  ratio (a)/(b): ${ratio.toFixed(1)}x   goal >= 5x: ${ratio >= 5 ? 'met' : 'MISSED'}`);
  console.log(`  the rolling apply takes ${(median(took.b) / median(took.a)).toFixed(1)}x as long as all at once (${((median(took.b) - median(took.a)) / 1000).toFixed(1)} s more)`);
} catch (err) {
  console.error('bench/apply failed:', err);
  process.exitCode = 1;
} finally {
  await stop();
}
