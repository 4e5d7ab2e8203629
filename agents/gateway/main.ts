// The gateway agent: brings up each location's WireGuard interface with the location's shared
// identity, applies the peers Core sends (incrementally), keeps what it applied on disk and
// re-applies it at start without waiting for Core. Health is the data plane's: every interface
// up and listening, and its peers applied. Losing Core changes nothing here. In MFA locations
// it removes peers that stay idle past the threshold by itself, Core or no Core, and tells Core.
import { writeFileSync } from 'node:fs';
import { GatewayAgentConfig, LINK_PROTOCOL, VERSION, type AgentExpired, type AgentMessage, type CoreMessage, type CorePeers, type GatewayLocationConfig, type PeerStats, type WgPeer } from '../../src-main/contract/index.js';
import { loadConfig, log, renewedTls, runAgent, serveDataPlaneHealth, serveHealth, stateDirectory } from '../shared/agent.js';
import { startControl } from '../shared/control.js';
import { EndpointBook } from './endpoints.js';
import { IdleTracker } from './idle.js';
import { GatewayState, type PeerEntry, type Policy, type StateOp } from './state.js';
import { clearSourceRule, holdsVip, keepalivedAlive, parseNotifyLine, readNotifyFifo, removeVip, sourceFromVip, trackValue, type VrrpRole } from './vrrp.js';
import { ensureInterface, interfaceHealth, kickHandshakes, patchPeers, peerStats, refreshPeers, removeStaleInterfaces, syncPeers, type WgMode } from './wireguard.js';

const nowS = () => Math.floor(Date.now() / 1000);
const sameIps = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

runAgent(async () => {
  const { config, sha256, path } = loadConfig(GatewayAgentConfig);
  const startedAt = new Date().toISOString();
  const stateDir = stateDirectory('gateway');
  const state = GatewayState.load(stateDir, (err) => log('state file problem', { error: err.message }), nowS());
  const byName = new Map(config.locations.map((l) => [l.name, l]));
  // Locations Core no longer assigns to this gateway are forgotten.
  state.record([...state.locations.keys()].filter((name) => !byName.has(name)).map((loc) => ({ op: 'drop' as const, loc })));

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
  // A location that lost its floating IP keeps no policy rule from the days it had one.
  for (const loc of config.locations) if (!loc.vrrp) await clearSourceRule(loc.listenPort);
  let mode: WgMode | null = null;
  const failures = new Map<string, string>();
  for (const loc of config.locations) {
    try {
      mode = await ensureInterface(loc);
      const saved = state.locations.get(loc.name);
      if (saved) {
        const changed = await syncPeers(loc.interface, [...saved.peers.values()]);
        log('re-applied saved peers', { location: loc.name, peers: saved.peers.size, changed, revision: saved.revision });
      }
    } catch (err) {
      failures.set(loc.name, (err as Error).message);
      log('cannot bring up a location', { location: loc.name, error: (err as Error).message });
    }
  }

  let problems: string[] = [...failures].map(([name, why]) => `${name}: ${why}`);
  /** Each location's data-plane problem (null: healthy), for the load balancer's checks. */
  const locationProblem = new Map<string, string | null>(config.locations.map((l) => [l.name, failures.get(l.name) ?? 'not checked yet']));
  /** vrrp locations: the role keepalived last told, and whether the floating IP is on this host. */
  const vrrpState = new Map<string, { role: VrrpRole | null; holdsVip: boolean; track: string | null; strayChecks: number }>(
    config.locations.filter((l) => l.vrrp).map((l) => [l.name, { role: null, holdsVip: false, track: null, strayChecks: 0 }]),
  );
  const checkHealth = async () => {
    const found: string[] = [];
    for (const loc of config.locations) {
      const p = failures.get(loc.name) ?? (await interfaceHealth(loc));
      if (p) found.push(`${loc.name}: ${p}`);
      locationProblem.set(loc.name, p ?? null);
      const v = loc.vrrp ? vrrpState.get(loc.name) : undefined;
      if (!loc.vrrp || !v) continue;
      // keepalived tracks this file: a gateway whose WireGuard is down gives up (or never takes) the floating IP.
      const track = trackValue(!p);
      if (track !== v.track) {
        try {
          writeFileSync(loc.vrrp.trackFile, track);
          v.track = track;
        } catch (err) {
          log('cannot write the health file keepalived tracks', { location: loc.name, file: loc.vrrp.trackFile, error: (err as Error).message });
        }
      }
      v.holdsVip = await holdsVip(loc.vrrp.interface, loc.vrrp.vip);
      // A keepalived killed outright leaves the floating IP on this host while another gateway
      // takes it: two holders. Without a live keepalived here, or with one that said it is not
      // master (twice in a row: keepalived adds the address a moment before it tells us), the
      // address must go. A role never told (this agent restarted) is no reason.
      const notMaster = v.role === 'BACKUP' || v.role === 'FAULT' || v.role === 'STOP';
      v.strayChecks = v.holdsVip && notMaster ? v.strayChecks + 1 : 0;
      if (v.holdsVip && (!keepalivedAlive() || v.strayChecks >= 2)) {
        try {
          await removeVip(loc.vrrp.interface, loc.vrrp.vip);
          v.holdsVip = false;
          v.role = null;
          log('removed the floating IP that a dead keepalived left on this host', { location: loc.name, vip: loc.vrrp.vip });
        } catch (err) {
          log('cannot remove a floating IP left by a dead keepalived', { location: loc.name, error: (err as Error).message });
        }
      }
    }
    if (found.join('\n') !== problems.join('\n')) log(found.length ? 'data plane unhealthy' : 'data plane healthy', { problems: found });
    problems = found;
  };
  await checkHealth();
  // A host that was frozen (SIGSTOP, a VM paused) and still holds a floating IP kept its old
  // sessions while the clients moved to another gateway: the timer noticing the pause makes it
  // start fresh handshakes again, so a thawed master does not strand its clients.
  let lastTick = Date.now();
  const healthTimer = setInterval(() => {
    const paused = Date.now() - lastTick;
    lastTick = Date.now();
    void checkHealth().then(() => {
      if (paused < 4500) return;
      for (const loc of config.locations) {
        if (loc.vrrp && vrrpState.get(loc.name)?.holdsVip) {
          log('this host was paused and holds the floating IP: starting fresh handshakes', { location: loc.name, pausedMs: paused });
          void takeover(loc);
        }
      }
    });
  }, 2000);

  /** Core's last word on the location's MFA setting; the config file's until Core has sent a full set. */
  const policyOf = (loc: GatewayLocationConfig): Policy => state.locations.get(loc.name)?.policy ?? { mfa: loc.mfa, disconnectThreshold: loc.disconnectThreshold };
  const trackers = new Map(config.locations.map((l) => [l.name, new IdleTracker()]));
  /** Where each peer was last seen (by this gateway or, through Core, another), and when: a new master starts the handshakes there. */
  const endpointsFile = `${stateDir}/endpoints.json`;
  const endpoints = EndpointBook.load(endpointsFile, config.locations.filter((l) => l.vrrp).map((l) => l.name));
  const noteEndpoint = (location: string, publicKey: string, endpoint: string | null, at: number) => {
    if (byName.get(location)?.vrrp) endpoints.note(location, publicKey, endpoint, at);
  };
  const saveEndpoints = () => {
    try {
      endpoints.save(endpointsFile);
    } catch (err) {
      log('cannot save where the clients were seen', { error: (err as Error).message });
    }
  };
  const endpointsTimer = setInterval(saveEndpoints, 5000);

  // Every change to WireGuard and the state file goes through this queue, so Core's changes and
  // the idle sweep never interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const applyPeers = (loc: GatewayLocationConfig, msg: CorePeers) =>
    serial(async () => {
      const t0 = performance.now();
      const ls = state.location(loc.name);
      // A session this gateway ended stays ended until Core has acknowledged it (a full set
      // sent before Core heard of it may still list it); only a new session brings the peer back.
      const allowed = (p: WgPeer) => p.session === undefined || !ls.expired.has(p.session);
      const now = nowS();
      const entry = (p: WgPeer): PeerEntry => {
        const had = ls.peers.get(p.publicKey);
        const same = had !== undefined && had.session === p.session && sameIps(had.allowedIps, p.allowedIps);
        return { ...p, appliedAt: same ? had.appliedAt : now };
      };
      const upsert = msg.upsert.filter(allowed);
      if (msg.full) {
        await syncPeers(loc.interface, upsert);
        state.replace(loc.name, { revision: msg.revision, policy: msg.policy ?? ls.policy, peers: new Map(upsert.map((p) => [p.publicKey, entry(p)])), expired: ls.expired });
      } else {
        await patchPeers(loc.interface, upsert, msg.remove);
        state.record([
          ...msg.remove.map((key) => ({ op: 'del' as const, loc: loc.name, key })),
          ...upsert.map((p) => ({ op: 'set' as const, loc: loc.name, peer: entry(p) })),
          { op: 'meta', loc: loc.name, revision: msg.revision, policy: ls.policy },
        ]);
      }
      for (const key of msg.remove) {
        trackers.get(loc.name)?.forget(key);
        endpoints.forget(loc.name, key);
      }
      return { type: 'applied', location: loc.name, revision: msg.revision, peers: state.location(loc.name).peers.size, tookMs: Math.round((performance.now() - t0) * 100) / 100 } satisfies AgentMessage;
    });

  const handle = async (msg: CoreMessage): Promise<AgentMessage | null> => {
    if (msg.type !== 'peers' && msg.type !== 'expiredAck' && msg.type !== 'activity') return null;
    const loc = byName.get(msg.location);
    if (!loc) throw new Error(`location ${msg.location} is not served by this gateway (its config lists ${[...byName.keys()].join(', ') || 'none'})`);
    if (msg.type === 'peers') return applyPeers(loc, msg);
    if (msg.type === 'expiredAck') {
      await serial(async () => state.record([{ op: 'ack', loc: loc.name, sessions: msg.sessions }]));
      return null;
    }
    const tracker = trackers.get(loc.name)!;
    for (const p of msg.peers) {
      tracker.hint(p.publicKey, p.lastActivity);
      noteEndpoint(loc.name, p.publicKey, p.endpoint, p.lastActivity);
    }
    return null;
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
      locations: config.locations.map((l) => ({
        name: l.name,
        interface: l.interface,
        peers: state.locations.get(l.name)?.peers.size ?? 0,
        revision: state.locations.get(l.name)?.revision ?? 0,
        mfa: policyOf(l).mfa,
        expiredUnacknowledged: state.locations.get(l.name)?.expired.size ?? 0,
        statsReadMs: statsReadMs.get(l.name),
      })),
    },
  }));

  // lb-mode locations: the load balancer checks each location's data plane here, on the LAN.
  let stopLanHealth = async () => undefined as void;
  if (config.lanHealth) {
    try {
      stopLanHealth = await serveDataPlaneHealth(config.lanHealth.address, config.lanHealth.port, config.host, config.lanHealth.locations, (name) => (locationProblem.has(name) ? locationProblem.get(name)! : 'not served by this gateway'));
    } catch (err) {
      // The tunnels still work; without this the load balancer takes the gateway out, which is
      // the safe side. The health endpoint and Core say so.
      problems = [...problems, `load balancer health checks: ${(err as Error).message}`];
      log('cannot serve the data-plane health for the load balancer', { error: (err as Error).message });
    }
  }

  let reporter: { send: (m: AgentMessage) => void } | null = null;
  const sendExpired = (location: string, sessions: AgentExpired['sessions']) => {
    if (sessions.length > 0) reporter?.send({ type: 'expired', location, sessions });
  };

  /** MFA: removes the peers idle past the threshold, remembers their sessions, and tells Core. */
  const expireIdle = (loc: GatewayLocationConfig, tracker: IdleTracker, thresholdS: number) =>
    serial(async () => {
      const now = nowS();
      const idle = tracker.idle([...state.location(loc.name).peers.values()].filter((p) => p.session !== undefined), thresholdS, now);
      if (idle.length === 0) return;
      await patchPeers(loc.interface, [], idle.map((p) => p.publicKey));
      const at = new Date().toISOString();
      const entries = idle.map((p) => ({ session: p.session!, publicKey: p.publicKey, lastActivity: tracker.lastActivity(p.publicKey, 0), at }));
      state.record([...idle.map((p) => ({ op: 'del' as const, loc: loc.name, key: p.publicKey })), ...entries.map((entry): StateOp => ({ op: 'expire', loc: loc.name, entry }))]);
      for (const p of idle) tracker.forget(p.publicKey);
      log('removed idle MFA peers', { location: loc.name, thresholdS, peers: entries.map((e) => ({ publicKey: e.publicKey, session: e.session, idleS: now - e.lastActivity })), coreLinked: reporter !== null });
      sendExpired(loc.name, entries);
    });

  // One reading of the counters every statsMs: it feeds the MFA idle sweep (Core or no Core)
  // and, while Core is linked, the per-peer report: what changed since the last one; all of it
  // on a new link, with how long Core was away (counters are totals, so the first report
  // covers the gap).
  const lastSent = new Map<string, string>();
  let lastReportAt: string | null = null;
  let missed = 0;
  let statsMs = 2000;
  let observing = false;
  /** How long the last reading of each location's counters took (WireGuard holds peer changes meanwhile). */
  const statsReadMs = new Map<string, number>();
  const observe = async (full: boolean) => {
    if (observing && !full) return;
    observing = true;
    try {
      const link = reporter;
      const summary = link && full && lastReportAt !== null ? { since: lastReportAt, missedReports: missed } : null;
      for (const loc of config.locations) {
        const policy = policyOf(loc);
        if (!link && !policy.mfa && !loc.vrrp) continue;
        let peers: PeerStats[];
        try {
          const t0 = performance.now();
          peers = await peerStats(loc.interface);
          statsReadMs.set(loc.name, Math.round((performance.now() - t0) * 10) / 10);
        } catch {
          continue; // the health check reports a missing interface
        }
        for (const p of peers) noteEndpoint(loc.name, p.publicKey, p.endpoint, p.latestHandshake);
        if (policy.mfa) {
          const tracker = trackers.get(loc.name)!;
          tracker.observe(peers, nowS());
          await expireIdle(loc, tracker, policy.disconnectThreshold);
        }
        if (!link) continue;
        const changed = peers.filter((p) => {
          const sig = `${p.endpoint}|${p.latestHandshake}|${p.rxBytes}|${p.txBytes}`;
          const key = `${loc.name}/${p.publicKey}`;
          if (!full && lastSent.get(key) === sig) return false;
          lastSent.set(key, sig);
          return true;
        });
        if (full || changed.length > 0) link.send({ type: 'stats', location: loc.name, at: new Date().toISOString(), full, peers: changed, summary });
      }
      if (link) {
        lastReportAt = new Date().toISOString();
        missed = 0;
      } else missed += 1;
    } finally {
      observing = false;
    }
  };
  let observeTimer = setInterval(() => void observe(false), statsMs);
  const onLink = (link: { send: (m: AgentMessage) => void; statsMs: number } | null) => {
    reporter = link;
    if (!link) return;
    if (link.statsMs !== statsMs) {
      statsMs = link.statsMs;
      clearInterval(observeTimer);
      observeTimer = setInterval(() => void observe(false), statsMs);
    }
    // What expired while Core was away (or was not acknowledged) goes first.
    for (const [name, ls] of state.locations) sendExpired(name, [...ls.expired.values()]);
    void observe(true);
  };

  /**
   * This gateway just became VRRP master of a location: its clients' sessions live on the old
   * master, so it starts fresh handshakes to every peer with a known endpoint itself, from the
   * floating IP, instead of waiting ~15 s for the clients to give up and re-handshake.
   */
  const takeover = (loc: GatewayLocationConfig) =>
    serial(async () => {
      const vrrp = loc.vrrp!;
      const t0 = performance.now();
      // keepalived adds the address around the time it tells us; give it a moment if needed.
      for (let i = 0; i < 50 && !(await holdsVip(vrrp.interface, vrrp.vip)); i++) await new Promise((r) => setTimeout(r, 10));
      try {
        await sourceFromVip(loc.listenPort, vrrp.interface, vrrp.vip);
      } catch (err) {
        log('cannot route WireGuard from the floating IP; handshakes leave from the host address', { location: loc.name, error: (err as Error).message });
      }
      const seen = endpoints.of(loc.name);
      const known = [...state.location(loc.name).peers.values()].flatMap((p) => {
        const e = seen.get(p.publicKey);
        return e ? [{ publicKey: p.publicKey, allowedIps: p.allowedIps, endpoint: e.endpoint }] : [];
      });
      try {
        await refreshPeers(loc.interface, known);
        await kickHandshakes(known.map((p) => p.allowedIps[0]!.slice(0, p.allowedIps[0]!.indexOf('/'))));
        log('became master of the floating IP: started handshakes', { location: loc.name, vip: vrrp.vip, peers: known.length, of: state.location(loc.name).peers.size, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        log('could not start the handshakes after taking the floating IP', { location: loc.name, error: (err as Error).message });
      }
    });
  /**
   * This gateway is not (or no longer) master: it drops its clients' sessions and endpoints. A
   * backup that kept them would, once its link is back, retry handshakes from its own address,
   * and a client that answers roams to it, bypassing the floating IP (seen in bench/failover).
   */
  const standDown = (loc: GatewayLocationConfig, why: string) =>
    serial(async () => {
      const peers = [...state.location(loc.name).peers.values()].map((p) => ({ publicKey: p.publicKey, allowedIps: p.allowedIps, endpoint: null }));
      try {
        await refreshPeers(loc.interface, peers);
        log('not master of the floating IP: dropped the clients\' sessions here', { location: loc.name, why, peers: peers.length });
      } catch (err) {
        log('could not drop the sessions of a backup gateway', { location: loc.name, error: (err as Error).message });
      }
    });
  const byInstance = new Map(config.locations.filter((l) => l.vrrp).map((l) => [l.vrrp!.instance, l]));
  let stopFifo = () => undefined as void;
  if (config.keepalivedFifo && byInstance.size > 0) {
    try {
      stopFifo = await readNotifyFifo(config.keepalivedFifo, (line) => {
        const n = parseNotifyLine(line);
        const loc = n ? byInstance.get(n.instance) : undefined;
        if (!n || !loc) return;
        const v = vrrpState.get(loc.name)!;
        const was = v.role;
        v.role = n.role;
        log('VRRP role', { location: loc.name, role: n.role, was });
        if (n.role === 'MASTER' && was !== 'MASTER') void takeover(loc);
        else if (n.role !== 'MASTER' && was !== n.role) void standDown(loc, n.role);
      });
    } catch (err) {
      log("cannot read keepalived's notify FIFO; the floating IP moves, but this gateway will not start handshakes when it takes it", { fifo: config.keepalivedFifo, error: (err as Error).message });
    }
  }

  const stopControl = await startControl({
    ...config.control,
    renewed: renewedTls('gateway'),
    subject: `gateway:${config.host}`,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'gateway', host: config.host, version: VERSION, configSha256: sha256, startedAt, wireguardMode: mode }),
    healthy: () => problems.length === 0,
    vrrp: () => [...vrrpState].map(([location, v]) => ({ location, role: v.role, holdsVip: v.holdsVip })),
    handle,
    onLink,
  });
  log('gateway agent started', { version: VERSION, config: path, mode, locations: config.locations.map((l) => `${l.name} (${l.interface}${policyOf(l).mfa ? ', MFA' : ''})`) });
  return async () => {
    clearInterval(healthTimer);
    clearInterval(observeTimer);
    clearInterval(endpointsTimer);
    saveEndpoints();
    stopFifo();
    await queue;
    state.compact();
    await stopControl();
    await stopLanHealth();
    await stopHealth();
  };
});
