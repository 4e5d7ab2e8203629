// bench/topology: the topology at scale, with scripted agents (real mutual TLS links, no lab):
// 50 locations × 3 vrrp gateways + 5 edges, each agent sending one heartbeat a second from a
// worker thread of its own (as on their own hosts, their TLS is not Core's work), and the UI
// open in Chromium.
//  (a) the map's first render, over OPENS page opens, each in a fresh browser context (no cache):
//      from the topology's arrival in the page to every node on the screen (the graph's render),
//      and from opening the page (loading the app, fetching the topology, drawing);
//  (b) heartbeat → screen: a heartbeat that moves a floating IP, until the badge shows on the new
//      holder (p50/p99 over CHANGES changes; the old and the new master each send theirs at once);
//  (c) Core's CPU for the read model (comparing heartbeats and folding) at one heartbeat per agent
//      per second, over IDLE_S seconds, as a share of one core.
// Goals: (b) p99 < 1 s, (a) < 1 s, (c) < 5 % of one core. Run: npm run bench:topology
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { AgentMessage } from '../../src-main/contract/index.js';
import { serve } from '../../src-main/serve.js';
import { HttpClient } from '../../src-main/transport/http/client.js';
import { launchBrowser } from '../../test/helpers/browser.js';
import { scriptedIdentity, type Scripted } from '../../test/helpers/scripted-agent.js';
import { startAgentThread } from '../../test/helpers/scripted-agent-thread.js';
import type { InProcessServer } from '../../test/helpers/server.js';

const LOCATIONS = Number(process.env.LOCATIONS ?? 50);
const EDGES = Number(process.env.EDGES ?? 5);
const CHANGES = Number(process.env.CHANGES ?? 100);
const IDLE_S = Number(process.env.IDLE_S ?? 30);
const OPENS = Number(process.env.OPENS ?? 5);
const BEAT_MS = 1000;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (n: number) => n.toFixed(n < 10 ? 1 : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Beat = Extract<AgentMessage, { type: 'heartbeat' }>;

// Run from the repository (npm run bench:topology): the built UI is in dist/renderer.
const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-topology-'));
const running = await serve({ dataDir: join(base, 'data'), listen: '127.0.0.1:0', uiDir: join(process.cwd(), 'dist/renderer'), agentsDir: join(process.cwd(), 'dist/agents'), log: pino({ level: 'silent' }) });
const token = readFileSync(running.paths.token, 'utf8').trim();
const srv: InProcessServer = {
  running,
  url: running.url,
  token,
  dataDir: join(base, 'data'),
  client: new HttpClient({ url: running.url, token, actor: 'bench' }),
  restart: () => Promise.reject(new Error('not in the bench')),
  [Symbol.asyncDispose]: async () => undefined,
};
const agents: Scripted[] = [];
const stops: (() => Promise<void>)[] = [];
const thread = await startAgentThread();
const scriptedAgent = async (host: string, address: string, role: 'gateway' | 'edge', beatMs: number) => thread.add(await scriptedIdentity(srv, host, address, role), beatMs);
try {
  const t0 = performance.now();
  const gateways: Scripted[][] = [];
  for (let i = 0; i < LOCATIONS; i++) {
    const name = `loc${i}`;
    await srv.client.call('locations.create', { name, network: `10.${100 + Math.floor(i / 200)}.${i % 200}.0/24`, endpoint: `127.2.0.${i + 1}:51820` });
    const trio: Scripted[] = [];
    for (let g = 0; g < 3; g++) {
      const host = `l${i}g${g}`;
      const a = await scriptedAgent(host, `127.1.${i}.${g + 1}`, 'gateway', BEAT_MS);
      agents.push(a);
      trio.push(a);
      await srv.client.call('gateways.add', { location: name, host });
      srv.running.core.store.write((tx) => tx.run("UPDATE hosts SET lan_interface = 'lo', lan_address = ? WHERE name = ?", `127.1.${i}.${g + 1}/8`, host));
    }
    await srv.client.call('locations.setFailover', { name, mode: 'vrrp', vip: `127.2.0.${i + 1}/8` });
    trio.forEach((a, g) => (a.beat = { vrrp: [{ location: name, role: g === 0 ? 'MASTER' : 'BACKUP', holdsVip: g === 0 }] }));
    gateways.push(trio);
  }
  for (let e = 0; e < EDGES; e++) {
    const a = await scriptedAgent(`edge${e}`, `127.3.0.${e + 1}`, 'edge', BEAT_MS);
    a.beat = { edge: { ready: true, reason: null, served: 0, failed: 0, inFlight: 0 } };
    agents.push(a);
    await srv.client.call('edges.add', { host: `edge${e}` });
  }
  const expectedNodes = 1 + LOCATIONS * 2 + LOCATIONS * 3 + EDGES;
  const unlinked = async () => (await srv.client.call('links.list', {})).filter((l) => l.state !== 'up').map((l) => `${l.agent} (${l.state}${l.reason ? `: ${l.reason}` : ''})`);
  for (let waited = 0; (await srv.client.call('links.list', {})).filter((l) => l.state === 'up').length < agents.length; waited += 250) {
    if (waited > 60_000) throw new Error(`not linked after 60 s: ${(await unlinked()).join(', ')}`);
    await sleep(250);
  }
  console.log(`${agents.length} scripted agents linked in ${fmt((performance.now() - t0) / 1000)} s; ${expectedNodes} nodes on the map`);
  await sleep(2 * BEAT_MS);

  const browser = await launchBrowser();
  stops.push(() => browser[Symbol.asyncDispose]());

  // (a) First render, OPENS times, each page in a new context (an empty cache, as a first visit).
  const fromData: number[] = [];
  const fromOpen: number[] = [];
  let phases: Record<string, number> = {};
  for (let o = 0; o < OPENS; o++) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const opened = await context.newPage();
    opened.setDefaultTimeout(30_000);
    await opened.goto(`${srv.url}/#token=${srv.token}`);
    // The moment every node is in the page, taken in the frame that saw it.
    await opened.waitForFunction((n) => document.querySelectorAll('.map-node').length >= n && performance.mark('bench:drawn') !== null, expectedNodes, { polling: 'raf' });
    phases = await opened.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const marks = Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]));
      return { domContentLoaded: Math.round(nav.domContentLoadedEventEnd), ...marks };
    });
    fromData.push(phases['bench:drawn']! - phases['bulwark:topology-first']!);
    fromOpen.push(phases['bench:drawn']!);
    await context.close();
  }
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(30_000);
  await page.goto(`${srv.url}/#token=${srv.token}`);
  await page.waitForFunction((n) => document.querySelectorAll('.map-node').length >= n, expectedNodes, { polling: 'raf' });

  // (b) Heartbeat → screen.
  const master = gateways.map(() => 0);
  const latencies: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = c % LOCATIONS;
    const name = `loc${i}`;
    const from = master[i]!;
    const to = (from + 1) % 3;
    const [old, next] = [gateways[i]![from]!, gateways[i]![to]!];
    old.beat = { vrrp: [{ location: name, role: 'BACKUP', holdsVip: false }] };
    next.beat = { vrrp: [{ location: name, role: 'MASTER', holdsVip: true }] };
    const s0 = performance.now();
    old.send({ type: 'heartbeat', seq: 1e6 + c, healthy: true, ...old.beat } as Beat);
    next.send({ type: 'heartbeat', seq: 1e6 + c, healthy: true, ...next.beat } as Beat);
    await page.waitForFunction((id) => document.querySelector(`[data-testid="vip-gateway:${id}"]`) !== null, `l${i}g${to}`, { polling: 'raf' });
    latencies.push(performance.now() - s0);
    master[i] = to;
  }

  // (c) The read model's CPU at one heartbeat per agent per second, nothing changing.
  const model = srv.running.core.services.topology;
  const spent0 = model.spentMs;
  const w0 = performance.now();
  await sleep(IDLE_S * 1000);
  const share = (model.spentMs - spent0) / (performance.now() - w0);

  console.log(`(a) first render of ${expectedNodes} nodes over ${OPENS} page opens: from the topology's arrival p50 ${fmt(pct(fromData, 50))} ms, max ${fmt(Math.max(...fromData))} ms (goal < 1000 ms, ${fmt(1000 / Math.max(...fromData))}× under); from opening the page p50 ${fmt(pct(fromOpen, 50))} ms, max ${fmt(Math.max(...fromOpen))} ms; the last open (ms since navigation): ${JSON.stringify(phases)}`);
  console.log(`(b) heartbeat → screen over ${CHANGES} changes: p50 ${fmt(pct(latencies, 50))} ms, p99 ${fmt(pct(latencies, 99))} ms, max ${fmt(Math.max(...latencies))} ms (goal p99 < 1000 ms, ${fmt(1000 / pct(latencies, 99))}× under)`);
  console.log(`(c) read model CPU at ${agents.length} heartbeats/s over ${IDLE_S} s: ${(share * 100).toFixed(2)} % of one core (goal < 5 %, ${fmt(0.05 / Math.max(share, 1e-6))}× under)`);
} finally {
  for (const stop of stops) await stop();
  for (const a of agents) await a.close();
  await thread.close();
  await running.stop();
  rmSync(base, { recursive: true, force: true });
}
