#!/usr/bin/env node
// bench/core: 10,000 device adds through the HTTP API, sequentially and 8 at a time, then a
// list of 10,000; against a real `bulwark serve` child process with a fresh data dir.
// Prints adds/s, p50/p99 latency, list time and the server's peak RSS beside the goals.
// Run: npm run bench:core   (COUNT=2000 for a quicker look)
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = Number(process.env.COUNT ?? 10_000);
const CONCURRENCY = 8;
const cli = fileURLToPath(new URL('../../dist/bulwark.mjs', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
const dataDir = join(base, 'data');

const server = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, BULWARK_LOG_LEVEL: 'warn' },
});
let out = '';
server.stdout.on('data', (d) => (out += d));
const deadline = Date.now() + 15_000;
while (!/serving (http\S+)\//.test(out)) {
  if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start: ${out}`);
  await new Promise((r) => setTimeout(r, 20));
}
const url = /serving (http\S+)\//.exec(out)[1];
const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();

// node:http with keep-alive rather than fetch: undici's per-request cost on the client
// (about 0.5 ms here) would otherwise dominate what we measure, the server.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function call(name, input) {
  const payload = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/api/v1/${name}`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (res.statusCode !== 200) reject(new Error(`${name}: ${body.error?.message}`));
          else resolve(body.data);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function addRun(location, concurrency) {
  await call('locations.create', { name: location, network: location === 'seq' ? '10.100.0.0/16' : '10.101.0.0/16', endpoint: 'vpn.example.com' });
  const latencies = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < COUNT) {
        const i = next++;
        const s = performance.now();
        await call('devices.add', { location, name: `device-${i}` });
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { rate: COUNT / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), seconds };
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

try {
  await call('devices.list', { location: 'none' }).catch(() => undefined); // warm up the connection
  const seq = await addRun('seq', 1);
  const par = await addRun('par', CONCURRENCY);
  const lists = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    const devices = await call('devices.list', { location: 'seq' });
    lists.push(performance.now() - s);
    if (devices.length !== COUNT) throw new Error(`listed ${devices.length} devices, expected ${COUNT}`);
  }
  lists.sort((a, b) => a - b);
  const rss = peakRssMb(server.pid);
  const f = (n, d = 1) => n.toFixed(d);
  const rows = [
    ['sequential adds/s', f(seq.rate, 0), '>= 1000', seq.rate >= 1000],
    ['sequential p50 ms', f(seq.p50, 2), '', true],
    ['sequential p99 ms', f(seq.p99, 2), '< 20', seq.p99 < 20],
    [`${CONCURRENCY}-way adds/s`, f(par.rate, 0), '', true],
    [`${CONCURRENCY}-way p50 ms`, f(par.p50, 2), '', true],
    [`${CONCURRENCY}-way p99 ms`, f(par.p99, 2), '< 20', par.p99 < 20],
    [`list ${COUNT} ms (median of 5)`, f(lists[2]), '< 200', lists[2] < 200],
    ['server peak RSS MB', f(rss), '< 150', rss < 150],
  ];
  console.log(`bench/core: ${COUNT} devices per run, node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, value, goal, ok] of rows) console.log(`${name.padEnd(28)} ${value.padStart(9)}  ${goal.padEnd(8)} ${goal ? (ok ? 'ok' : 'MISSED') : ''}`);
} finally {
  agent.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(base, { recursive: true, force: true });
}
