// The balancer agent: runs nginx as the UDP load balancer of its lb-mode locations (sticky by
// client address), checks each gateway's data-plane health every interval, takes failed
// gateways out of rotation (`down`) and brings them back, reloading nginx each time, and
// reports all of it to Core. OSS nginx notices neither a dead host nor a dead gateway while the
// client keeps sending (measured in shared/lab: no recovery in 40 s), so this agent is what
// makes lb mode fail over at all. nginx keeps running when the agent stops or Core is away.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { renderNginxStream } from '../../src-main/config-gen/nginx/nginx-stream.js';
import { BalancerAgentConfig, LINK_PROTOCOL, VERSION, type AgentMessage, type BalancerView, type CoreMessage } from '../../src-main/contract/index.js';
import { loadConfig, log, renewedTls, runAgent, serveHealth, stateDirectory } from '../shared/agent.js';
import { startControl } from '../shared/control.js';
import { Nginx } from './nginx.js';
import { Rotation, type CheckResult } from './rotation.js';
import { parseHaproxyStat, readHaproxyStat } from './haproxy-stats.js';

/** One check of a gateway's data-plane health URL: passes on HTTP 200 within the timeout. */
function check(host: string, url: string, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const done = (ok: boolean, reason: string | null) => resolve({ host, ok, reason });
    const req = get(url, { timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body = (body + c).slice(0, 2000)));
      res.on('end', () => {
        if (res.statusCode === 200) return done(true, null);
        let problem: string | null = null;
        try {
          problem = (JSON.parse(body) as { problem?: string | null }).problem ?? null;
        } catch {
          // not ours: the status says enough
        }
        done(false, `its health check answered HTTP ${res.statusCode}${problem ? `: ${problem}` : ''}`);
      });
      res.on('error', (err) => done(false, `its health check failed: ${err.message}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ECONNREFUSED' ? 'nothing listens on its health port (its agent is stopped?)' : err.code === 'ETIMEDOUT' ? `no answer within ${timeoutMs} ms (host down or unreachable?)` : `${err.code ?? ''} ${err.message}`.trim();
      done(false, why);
    });
  });
}

runAgent(async () => {
  const { config, sha256, path } = loadConfig(BalancerAgentConfig);
  const startedAt = new Date().toISOString();
  const stateFile = join(stateDirectory('balancer'), 'rotation.json');
  const drainFile = join(stateDirectory('balancer'), 'drained.json');
  const readSaved = (file: string): Record<string, string[]> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string[]>;
    } catch {
      return {}; // first start, or a damaged file: every gateway starts in rotation
    }
  };
  const saved = readSaved(stateFile);
  const drained = readSaved(drainFile);
  const now = () => new Date().toISOString();
  const rotations = new Map(
    config.locations.map((l) => [
      l.name,
      new Rotation(
        l.gateways.map((g) => g.host),
        config.check,
        now(),
        new Set(saved[l.name] ?? []),
        l.failback,
        (host) => `bulwark location lb-release ${l.name} --gateway ${host}`,
        new Set(drained[l.name] ?? []),
      ),
    ]),
  );
  const nginx = new Nginx(config.nginx.program, config.nginx.runDir);

  const render = () =>
    renderNginxStream({
      host: config.host,
      listenAddress: config.nginx.listenAddress,
      pidFile: nginx.pidFile,
      user: 'nobody nogroup',
      locations: config.locations.map((l) => ({
        name: l.name,
        listenPort: l.listenPort,
        gateways: l.gateways.map((g) => ({ host: g.host, address: g.address, port: g.port, down: !rotations.get(l.name)!.isIn(g.host) })),
      })),
    });
  const save = () => {
    try {
      for (const [file, hosts] of [
        [stateFile, (r: Rotation) => r.out()],
        [drainFile, (r: Rotation) => r.drainedHosts()],
      ] as const) {
        writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries([...rotations].map(([name, r]) => [name, hosts(r)]))));
        renameSync(`${file}.tmp`, file);
      }
    } catch (err) {
      log('cannot save the rotation', { error: (err as Error).message });
    }
  };
  let lastProblem: string | null = null;
  const applyNginx = async (why: string) => {
    try {
      const result = await nginx.apply(render());
      if (result !== 'unchanged') log(`nginx ${result}`, { why, pid: nginx.pid() });
      lastProblem = null;
    } catch (err) {
      // Retried every check interval; said once until it changes.
      if ((err as Error).message !== lastProblem) log('nginx problem', { why, error: (err as Error).message });
      lastProblem = (err as Error).message;
    }
  };
  if (config.locations.length > 0) await applyNginx('agent started');

  // One round of checks at a time, every intervalMs; a round takes at most timeoutMs.
  let checking = false;
  const round = async () => {
    if (checking) return;
    checking = true;
    try {
      let changed = false;
      await Promise.all(
        config.locations.map(async (l) => {
          const results = await Promise.all(l.gateways.map((g) => check(g.host, g.healthUrl, config.check.timeoutMs)));
          for (const c of rotations.get(l.name)!.observe(results, now())) {
            changed = true;
            log(c.inRotation ? 'gateway back in rotation' : 'gateway out of rotation', { location: l.name, gateway: c.host, reason: c.reason });
          }
        }),
      );
      if (changed) {
        save();
        await applyNginx('rotation changed');
      } else if (config.locations.length > 0 && nginx.pid() === null) {
        await applyNginx('nginx is not running');
      }
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void round(), config.check.intervalMs);
  void round();

  // The edges' HAProxy, when it runs here: its view of the edges, read every second.
  let edges: NonNullable<BalancerView['edges']> = { entries: [], error: null };
  const readEdges = async () => {
    if (!config.edges) return;
    try {
      edges = { entries: parseHaproxyStat(await readHaproxyStat(config.edges.statsSocket), config.edges.backend), error: null };
    } catch (err) {
      edges = { entries: edges.entries, error: (err as Error).message };
    }
  };
  const edgeTimer = config.edges ? setInterval(() => void readEdges(), 1000) : null;
  void readEdges();

  const view = (): BalancerView => {
    const pid = nginx.pid();
    return {
      nginx: { running: pid !== null, pid, reloads: nginx.reloads, error: nginx.error },
      locations: config.locations.map((l) => ({ location: l.name, gateways: rotations.get(l.name)!.view() })),
      ...(config.edges ? { edges } : {}),
    };
  };
  const healthy = () => config.locations.length === 0 || nginx.pid() !== null;
  const stopHealth = await serveHealth(config.health.address, config.health.port, () => ({
    ok: healthy(),
    role: 'balancer',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
    problems: healthy() ? [] : [nginx.error ?? 'nginx is not running'],
    balancer: view(),
  }));
  const stopControl = await startControl({
    ...config.control,
    renewed: renewedTls('balancer'),
    subject: `balancer:${config.host}`,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'balancer', host: config.host, version: VERSION, configSha256: sha256, startedAt }),
    healthy,
    balancer: view,
    // Manual failback: Core releases a gateway held out although healthy. A rolling apply:
    // Core drains a gateway while it changes it.
    handle: async (msg: CoreMessage): Promise<AgentMessage | null> => {
      if (msg.type !== 'release' && msg.type !== 'drain') return null;
      const rotation = rotations.get(msg.location);
      if (!rotation) throw new Error(`location ${msg.location} is not balanced here`);
      if (msg.type === 'release') {
        rotation.release(msg.host, now());
        log('gateway released into rotation', { location: msg.location, gateway: msg.host });
      } else if (msg.drained) {
        rotation.drain(msg.host, now());
        log('gateway drained for a rolling apply', { location: msg.location, gateway: msg.host });
      } else {
        rotation.undrain(msg.host);
        log('drain ended; the gateway returns once it passes its checks', { location: msg.location, gateway: msg.host });
      }
      save();
      await applyNginx(msg.type === 'release' ? 'gateway released' : 'gateway drained');
      return null;
    },
  });
  log('balancer agent started', { version: VERSION, config: path, nginx: nginx.pid(), locations: config.locations.map((l) => `${l.name} (:${l.listenPort} → ${l.gateways.map((g) => g.host).join(', ')})`) });
  return async () => {
    clearInterval(timer);
    if (edgeTimer) clearInterval(edgeTimer);
    await stopControl();
    await stopHealth();
  };
});
