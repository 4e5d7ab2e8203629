// The gateway agent: brings up each location's WireGuard interface with the location's shared
// identity, applies the peers Core sends (incrementally), keeps what it applied on disk and
// re-applies it at start without waiting for Core. Health is the data plane's: every interface
// up and listening, and its peers applied. Losing Core changes nothing here.
import { writeFileSync } from 'node:fs';
import { GatewayAgentConfig, LINK_PROTOCOL, VERSION, type AgentMessage, type CoreMessage, type PeerStats } from '../../src-main/contract/index.js';
import { loadConfig, log, runAgent, serveHealth } from '../shared/agent.js';
import { startControl } from '../shared/control.js';
import { StateFile } from './state.js';
import { ensureInterface, interfaceHealth, patchPeers, peerStats, removeStaleInterfaces, syncPeers, type WgMode } from './wireguard.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(GatewayAgentConfig);
  const startedAt = new Date().toISOString();
  const stateDir = process.env.STATE_DIRECTORY ?? '/var/lib/bulwark/gateway';
  const state = StateFile.load(stateDir, (err) => log('state file problem', { error: err.message }));
  const byName = new Map(config.locations.map((l) => [l.name, l]));
  // Locations Core no longer assigns to this gateway are forgotten.
  for (const name of Object.keys(state.state.locations)) if (!byName.has(name)) delete state.state.locations[name];

  try {
    const removed = await removeStaleInterfaces(config.locations.map((l) => l.interface));
    if (removed.length) log('removed interfaces of locations this gateway no longer serves', { removed });
  } catch (err) {
    log('cannot list interfaces', { error: (err as Error).message });
  }
  // A gateway routes between its tunnels and the networks behind it.
  for (const [file, what] of [['/proc/sys/net/ipv4/ip_forward', 'IPv4'], ['/proc/sys/net/ipv6/conf/all/forwarding', 'IPv6']] as const) {
    try {
      writeFileSync(file, '1');
    } catch (err) {
      log(`cannot turn on ${what} forwarding; devices reach only the gateway itself`, { error: (err as Error).message });
    }
  }
  let mode: WgMode | null = null;
  const failures = new Map<string, string>();
  for (const loc of config.locations) {
    try {
      mode = await ensureInterface(loc);
      const saved = state.state.locations[loc.name];
      if (saved) {
        const changed = await syncPeers(loc.interface, saved.peers);
        log('re-applied saved peers', { location: loc.name, peers: saved.peers.length, changed, revision: saved.revision });
      }
    } catch (err) {
      failures.set(loc.name, (err as Error).message);
      log('cannot bring up a location', { location: loc.name, error: (err as Error).message });
    }
  }

  let problems: string[] = [...failures].map(([name, why]) => `${name}: ${why}`);
  const checkHealth = async () => {
    const found: string[] = [];
    for (const loc of config.locations) {
      const p = failures.get(loc.name) ?? (await interfaceHealth(loc));
      if (p) found.push(`${loc.name}: ${p}`);
    }
    if (found.join('\n') !== problems.join('\n')) log(found.length ? 'data plane unhealthy' : 'data plane healthy', { problems: found });
    problems = found;
  };
  await checkHealth();
  const healthTimer = setInterval(() => void checkHealth(), 2000);

  const handle = async (msg: CoreMessage): Promise<AgentMessage | null> => {
    if (msg.type !== 'peers') return null;
    const loc = byName.get(msg.location);
    if (!loc) throw new Error(`location ${msg.location} is not served by this gateway (its config lists ${[...byName.keys()].join(', ') || 'none'})`);
    const t0 = performance.now();
    const saved = state.state.locations[loc.name] ?? { revision: 0, peers: [] };
    let peers = saved.peers;
    if (msg.full) {
      await syncPeers(loc.interface, msg.upsert);
      peers = msg.upsert;
    } else {
      await patchPeers(loc.interface, msg.upsert, msg.remove);
      const gone = new Set([...msg.remove, ...msg.upsert.map((p) => p.publicKey)]);
      peers = [...peers.filter((p) => !gone.has(p.publicKey)), ...msg.upsert];
    }
    state.state.locations[loc.name] = { revision: msg.revision, peers };
    state.save();
    return { type: 'applied', location: loc.name, revision: msg.revision, peers: peers.length, tookMs: Math.round((performance.now() - t0) * 100) / 100 };
  };

  const stopHealth = await serveHealth(config.health.address, config.health.port, () => ({
    ok: problems.length === 0,
    role: 'gateway',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
    problems,
    wireguard: {
      mode,
      locations: config.locations.map((l) => ({ name: l.name, interface: l.interface, peers: state.state.locations[l.name]?.peers.length ?? 0, revision: state.state.locations[l.name]?.revision ?? 0 })),
    },
  }));
  // Per-peer counters to Core: what changed since the last report; all of it on a new link,
  // with how long Core was away (counters are totals, so the first report covers the gap).
  let reporter: { send: (m: AgentMessage) => void; timer: NodeJS.Timeout } | null = null;
  const lastSent = new Map<string, string>();
  let lastReportAt: string | null = null;
  let missed = 0;
  let statsMs = 2000;
  const missTimer = setInterval(() => {
    if (!reporter) missed += 1;
  }, statsMs);
  const report = async (full: boolean) => {
    if (!reporter) return;
    const summary = full && lastReportAt !== null ? { since: lastReportAt, missedReports: missed } : null;
    for (const loc of config.locations) {
      let peers: PeerStats[];
      try {
        peers = await peerStats(loc.interface);
      } catch {
        continue; // the health check reports a missing interface
      }
      const changed = peers.filter((p) => {
        const sig = `${p.endpoint}|${p.latestHandshake}|${p.rxBytes}|${p.txBytes}`;
        const key = `${loc.name}/${p.publicKey}`;
        if (!full && lastSent.get(key) === sig) return false;
        lastSent.set(key, sig);
        return true;
      });
      if (full || changed.length > 0) reporter?.send({ type: 'stats', location: loc.name, at: new Date().toISOString(), full, peers: changed, summary });
    }
    lastReportAt = new Date().toISOString();
    missed = 0;
  };
  const onLink = (link: { send: (m: AgentMessage) => void; statsMs: number } | null) => {
    if (reporter) clearInterval(reporter.timer);
    reporter = null;
    if (!link) return;
    statsMs = link.statsMs;
    reporter = { send: link.send, timer: setInterval(() => void report(false), statsMs) };
    void report(true);
  };

  const stopControl = await startControl({
    ...config.control,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'gateway', host: config.host, version: VERSION, configSha256: sha256, startedAt, wireguardMode: mode }),
    healthy: () => problems.length === 0,
    handle,
    onLink,
  });
  log('gateway agent started', { version: VERSION, config: path, mode, locations: config.locations.map((l) => `${l.name} (${l.interface})`) });
  return async () => {
    clearInterval(healthTimer);
    clearInterval(missTimer);
    if (reporter) clearInterval(reporter.timer);
    state.flush();
    await stopControl();
    await stopHealth();
  };
});
