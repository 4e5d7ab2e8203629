// bench/edge: the public service through the edge balancer (HAProxy) to two edges, on real lab
// hosts, for a call that crosses the edge-to-Core link (invite.lookup):
//  (a) requests per second with p50 and p99 latency (autocannon, keep-alive, CONNECTIONS);
//  (b) failed requests while one edge's agent is SIGKILLed under the same load;
//  (c) connect → peer confirmed on both gateways of an MFA location, for N devices (each
//      connects once with a fresh code): p50 and p99 as the browser sees it, and Core's wait.
// Goals on this 2-core machine: ≥ 500 requests/s with p99 < 50 ms, zero failed requests across
// an edge failure, connect-to-confirmed p99 < 200 ms. Run as root: npm run bench:edge
import { generateKeyPairSync } from 'node:crypto';
import autocannon from 'autocannon';
import { Secret, TOTP } from 'otpauth';
import { startBench } from '../lab-core.js';
import { median, sleep } from '../lab-ping.js';
import { PublicClient } from '../../test/helpers/edge-client.js';
import { edgesUp } from '../../test/lab/haproxy-view.js';

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const DEVICES = Number(process.env.DEVICES ?? 100);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const codeAt = (secret: string, ms: number) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: ms });
const publicKey = () => generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
};

const { lab, core, cli, addHosts, gatewaysOf, stop } = await startBench('edge');
try {
  const [gw1, gw2, e1, e2, lb] = await Promise.all(['gw1', 'gw2', 'e1', 'e2', 'lb'].map((h) => lab.boot(h)));
  await gatewaysOf('secure', '10.74.0.0/24', `${gw1!.address}:51820`, [gw1!, gw2!]);
  await core.invoke('locations.update', { name: 'secure', mfa: true, disconnectThreshold: 3600 });
  await addHosts([e1!, e2!, lb!]);
  for (const e of ['e1', 'e2']) await core.invoke('edges.add', { host: e });
  await core.invoke('edges.setPublic', { publicName: lb!.address, balancer: 'lb' });
  await cli('provision', 'apply');
  await until('both edges in rotation', async () => (await edgesUp(lab)).length === 2, 30_000);
  const base = `https://${lb!.address}`;

  // (a) and (b): invite.lookup through the balancer.
  const invite = await core.invoke('invites.create', { location: 'secure', name: 'bench' });
  const browser = new PublicClient(base);
  const headers = await browser.headers('invite.lookup');
  const body = JSON.stringify({ token: invite.url.slice(invite.url.indexOf('#') + 1) });
  const load = async (fault?: () => void) => {
    const run = autocannon({ url: `${base}/api/v1/invite.lookup`, method: 'POST', headers, body, connections: CONNECTIONS, duration: SECONDS });
    if (fault) setTimeout(fault, 3000);
    const r = await run;
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, failed: r.errors + r.timeouts + r.non2xx };
  };
  await load(); // warm-up
  const steady = await load();
  const killed = await load(() => lab.exec('e1', ['sh', '-c', 'kill -KILL "$(systemctl show -p MainPID --value bulwark-edge.service)"']));
  await until('e1 back in rotation', async () => (await edgesUp(lab)).length === 2, 30_000);

  // (c) connect → confirmed on both gateways, one connect per device.
  const secrets: { device: string; secret: string }[] = [];
  const now = Date.now();
  for (let i = 0; i < DEVICES; i++) {
    const inv = await core.invoke('invites.create', { location: 'secure', name: `phone-${i}` });
    const token = inv.url.slice(inv.url.indexOf('#') + 1);
    const { secret } = (await browser.call('enroll.totp', { token })).json() as { secret: string };
    const done = await browser.call('enroll.complete', { token, publicKey: publicKey(), code: codeAt(secret, now) });
    if (done.status !== 200) throw new Error(`enroll ${i}: ${done.text}`);
    secrets.push({ device: (done.json().connectUrl as string).split('/').at(-1)!, secret });
  }
  const seen: number[] = [];
  const waited: number[] = [];
  for (const s of secrets) {
    const started = performance.now();
    const r = await browser.call('connect', { device: s.device, code: codeAt(s.secret, now + 30_000) });
    seen.push(performance.now() - started);
    const out = r.json();
    if (!out.connected || out.gateways.filter((g: { confirmed: boolean }) => g.confirmed).length !== 2) throw new Error(`connect not confirmed by both gateways: ${r.text}`);
    waited.push(out.tookMs);
  }

  console.log('\nbench/edge: the public service through HAProxy to two edges (this machine, one run)\n');
  console.log('| measure | result | goal |');
  console.log('|---|---|---|');
  console.log(`| invite.lookup, ${CONNECTIONS} connections, ${SECONDS} s | ${fmt(steady.rps)} requests/s, p50 ${steady.p50} ms, p99 ${steady.p99} ms, ${steady.failed} failed of ${steady.total} | ≥ 500/s, p99 < 50 ms |`);
  console.log(`| the same while edge e1 is SIGKILLed | ${fmt(killed.rps)} requests/s, p99 ${killed.p99} ms, ${killed.failed} failed of ${killed.total} | 0 failed |`);
  console.log(`| connect → confirmed by both gateways, ${DEVICES} devices | p50 ${fmt(pct(seen, 50))} ms, p99 ${fmt(pct(seen, 99))} ms (Core's wait: median ${fmt(median(waited))} ms, p99 ${fmt(pct(waited, 99))} ms) | p99 < 200 ms |`);
} finally {
  await stop();
}
