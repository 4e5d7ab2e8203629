// The gateway agent: brings up each location's WireGuard interface with the location's shared
// identity, applies the peers Core sends (incrementally), keeps what it applied on disk and
// re-applies it at start without waiting for Core. Health is the data plane's: every interface
// up and listening, and its peers applied. Losing Core changes nothing here. In MFA locations
// it removes peers that stay idle past the threshold by itself, Core or no Core, and tells Core.
//
// This file reads the config and wires the parts: bring-up.ts (start), health.ts, peers.ts,
// mfa-expiry.ts, reporter.ts (counters to Core), vrrp-role.ts (keepalived's role changes, drills)
// and takeover.ts (what a takeover cost the clients), which share only what context.ts names.
import { GatewayAgentConfig, LINK_PROTOCOL, VERSION, type AgentMessage, type CoreMessage } from '../../src-main/contract/index.js';
import { loadConfig, log, renewedTls, runAgent, stateDirectory } from '../shared/agent.js';
import { startControl } from '../shared/control.js';
import { bringUp } from './bring-up.js';
import { CoreLink, hasVrrp, nowS, policyOf, type GatewayContext } from './context.js';
import { EndpointBook } from './endpoints.js';
import { DataPlaneHealth, serveGatewayHealth, wireguardView } from './health.js';
import { IdleTracker } from './idle.js';
import { MfaExpiry } from './mfa-expiry.js';
import { Peers } from './peers.js';
import { Reporter } from './reporter.js';
import { SerialQueue } from './serial.js';
import { GatewayState } from './state.js';
import { TakeoverReports } from './takeover.js';
import { VrrpRoles } from './vrrp-role.js';
import { makeNotifyFifo } from './vrrp.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(GatewayAgentConfig);
  const startedAt = new Date().toISOString();
  const stateDir = stateDirectory('gateway');
  const state = GatewayState.load(stateDir, (err) => log('state file problem', { error: err.message }), nowS());
  // keepalived starts once this process has (After=), maybe before the bring-up is done: the FIFO
  // is there for it from the start, so it is the agent's, which keepalived never removes.
  if (config.keepalivedFifo) await makeNotifyFifo(config.keepalivedFifo).catch((err: Error) => log("cannot make keepalived's notify FIFO yet", { error: err.message }));
  const { mode, failures } = await bringUp(config.locations, state);

  const endpointsFile = `${stateDir}/endpoints.json`;
  const ctx: GatewayContext = {
    locations: new Map(config.locations.map((l) => [l.name, l])),
    state,
    serial: new SerialQueue(),
    trackers: new Map(config.locations.map((l) => [l.name, new IdleTracker()])),
    endpoints: EndpointBook.load(endpointsFile, config.locations.filter(hasVrrp).map((l) => l.name)),
    core: new CoreLink(),
  };
  const saveEndpoints = () => {
    try {
      ctx.endpoints.save(endpointsFile);
    } catch (err) {
      log('cannot save where the clients were seen', { error: (err as Error).message });
    }
  };
  const endpointsTimer = setInterval(saveEndpoints, 5000);

  const takeovers = new TakeoverReports(`${stateDir}/takeovers.json`, ctx.core);
  const vrrp = new VrrpRoles(ctx, takeovers, () => ctx.core.beat());
  const health = new DataPlaneHealth(config.locations, failures, (loc, problem) => vrrp.afterCheck(loc, problem));
  await health.check();
  const stopHealthChecks = health.every(2000, (pausedMs) => vrrp.afterPause(pausedMs));

  const peers = new Peers(ctx);
  const mfa = new MfaExpiry(ctx);
  const reporter = new Reporter(ctx, mfa);
  const handle = async (msg: CoreMessage): Promise<AgentMessage | null> => {
    if (msg.type === 'takeoverAck') {
      takeovers.acknowledged(msg.ids);
      return null;
    }
    if (msg.type === 'drill') {
      vrrp.drill(msg.location, msg.holdMs);
      return null;
    }
    if (msg.type !== 'peers' && msg.type !== 'expiredAck' && msg.type !== 'activity') return null;
    const loc = ctx.locations.get(msg.location);
    if (!loc) throw new Error(`location ${msg.location} is not served by this gateway (its config lists ${[...ctx.locations.keys()].join(', ') || 'none'})`);
    if (msg.type === 'peers') return peers.apply(loc, msg);
    if (msg.type === 'expiredAck') await mfa.acknowledged(loc, msg.sessions);
    else peers.noteActivity(loc, msg.peers);
    return null;
  };

  const stopHealthServers = await serveGatewayHealth(config, health, () => ({
    ok: health.ok,
    role: 'gateway',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
    problems: health.problems,
    wireguard: wireguardView(config.locations, state, mode, reporter.statsReadMs),
    ...(config.keepalivedFifo ? { vrrp: vrrp.view() } : {}),
  }));
  reporter.start();
  const stopFifo = await vrrp.listen(config.keepalivedFifo);

  const stopControl = await startControl({
    ...config.control,
    renewed: renewedTls('gateway'),
    subject: `gateway:${config.host}`,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'gateway', host: config.host, version: VERSION, configSha256: sha256, startedAt, wireguardMode: mode }),
    healthy: () => health.ok,
    vrrp: () => vrrp.view(),
    handle,
    onLink: (link) => {
      reporter.onLink(link);
      if (link) takeovers.sendUnacknowledged();
    },
  });
  log('gateway agent started', { version: VERSION, config: path, mode, locations: config.locations.map((l) => `${l.name} (${l.interface}${policyOf(state, l).mfa ? ', MFA' : ''})`) });
  return async () => {
    stopHealthChecks();
    reporter.stop();
    clearInterval(endpointsTimer);
    saveEndpoints();
    stopFifo();
    await ctx.serial.drained();
    state.compact();
    await stopControl();
    await stopHealthServers();
  };
});
