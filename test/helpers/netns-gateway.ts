// A real gateway agent (the built bundle, the shipped runtime) with real WireGuard, in a network
// namespace of its own: its interface, forwarding and policy rules never touch this machine's
// (an agent at start removes every bw-* interface it does not serve, so two in one namespace
// would fight), and Core reaches its control port over a veth pair on a documentation /27 that
// this machine does not use, reserved as a lab's is (reserveLabPrefix), so no lab or other test
// takes it at the same time. Needs root, iproute2, wg, and kernel WireGuard or wireguard-go.
// Everything it starts is stopped by PID: the agent, then what still runs in the namespace
// (wireguard-go), then the namespace, which takes the veth pair with it.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderGatewayConfig } from '../../src-main/config-gen/agent/agent-config.js';
import { CONTROL_PORT, interfaceName } from '../../src-main/contract/host-layout.js';
import { addressAt } from '../../src-main/net/ip.js';
import { reserveLabPrefix } from '../lab/scenario.js';
import { RUNTIME, runningAgent, type RunningAgent } from './agent.js';
import { scriptedIdentity } from './scripted-agent.js';
import { AGENTS_DIR, type InProcessServer } from './server.js';

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const works = (cmd: string, ...args: string[]) => {
  try {
    run(cmd, ...args);
    return true;
  } catch {
    return false;
  }
};

/** Why a real gateway cannot run here, or null when it can. */
export function netnsGatewayMissing(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root (network namespaces, WireGuard interfaces): run the tests as root';
  if (!works('ip', '-V')) return 'ip (iproute2) is missing: apt-get install iproute2';
  if (!works('wg', '--version')) return 'wg is missing: apt-get install wireguard-tools';
  if (!works('wireguard-go', '--version')) {
    // Without wireguard-go the agent needs kernel WireGuard: try it in a namespace of our own.
    const probe = `bw-probe-${process.pid}`;
    try {
      run('ip', 'netns', 'add', probe);
      if (!works('ip', '-n', probe, 'link', 'add', 'wgprobe', 'type', 'wireguard')) return 'neither kernel WireGuard nor wireguard-go is here: apt-get install wireguard-go';
    } catch (err) {
      return `cannot make a network namespace: ${(err as Error).message}`;
    } finally {
      works('ip', 'netns', 'del', probe);
    }
  }
  return null;
}

export interface NetnsGateway {
  host: string;
  /** The agent's address, where Core dials it. */
  address: string;
  /** The location's WireGuard interface in the namespace. */
  iface: string;
  /** The running agent (a new one after restart). */
  agent: RunningAgent;
  /** Stops the agent (its WireGuard interface stays, as on a host) and starts it again. */
  restart(): Promise<void>;
  /** The public keys of the interface's peers, as `wg show` lists them now. */
  peers(): string[];
  close(): Promise<void>;
}

/**
 * Adds host `host` as a provisioned gateway of `location` (which must exist) and starts its
 * agent in a fresh namespace, on a /27 of its own.
 */
export async function startNetnsGateway(srv: InProcessServer, opts: { host: string; location: string; dir: string }): Promise<NetnsGateway> {
  const { host, location, dir } = opts;
  const ns = `bw-${host}-${process.pid}`.slice(0, 30);
  const [outside, inside] = [`bwh${process.pid}`.slice(0, 15), `bwn${process.pid}`.slice(0, 15)];
  const range = await reserveLabPrefix();
  const [hostSide, address] = [addressAt(range.prefix, 1n), addressAt(range.prefix, 2n)];
  const mask = range.prefix.prefix;
  run('ip', 'netns', 'add', ns);
  const cleanupNs = () => {
    works('ip', 'netns', 'del', ns);
    range.release();
  };
  try {
    run('ip', 'link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
    run('ip', 'link', 'set', inside, 'netns', ns);
    run('ip', 'address', 'add', `${hostSide}/${mask}`, 'dev', outside);
    run('ip', 'link', 'set', outside, 'up');
    run('ip', '-n', ns, 'address', 'add', `${address}/${mask}`, 'dev', inside);
    run('ip', '-n', ns, 'link', 'set', inside, 'up');
    run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  } catch (err) {
    cleanupNs();
    throw err;
  }

  const core = srv.running.core;
  const id = await scriptedIdentity(srv, host, address, 'gateway');
  await srv.client.call('gateways.add', { location, host });
  const loc = await srv.client.call('locations.get', { name: location });
  const keyFile = join(dir, `${location}.key`);
  writeFileSync(keyFile, `${core.services.locations.privateKey(location)}\n`, { mode: 0o600 });
  for (const [name, pem] of [['ca', id.caPem], ['cert', id.certPem], ['key', id.keyPem]]) writeFileSync(join(dir, `${name}.pem`), pem!, { mode: 0o600 });
  const iface = interfaceName(location);
  const configText = renderGatewayConfig({
    host,
    healthPort: 9461,
    control: { address, port: CONTROL_PORT.gateway, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
    locations: [{ name: location, interface: iface, privateKeyFile: keyFile, network: loc.network, gatewayAddress: loc.gatewayAddress, listenPort: loc.endpointPort, publicKey: loc.publicKey, mfa: loc.mfa, disconnectThreshold: loc.disconnectThreshold }],
  });
  writeFileSync(join(dir, 'agent.json'), configText);
  // `ip netns exec` execs the runtime in the namespace: the child's PID is the agent's.
  const spawnAgent = (): RunningAgent =>
    runningAgent(
      spawn('ip', ['netns', 'exec', ns, RUNTIME, join(AGENTS_DIR, 'gateway.mjs')], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', BULWARK_AGENT_CONFIG: join(dir, 'agent.json'), STATE_DIRECTORY: join(dir, 'state') },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      configText,
    );
  let agent = spawnAgent();
  const gateway: NetnsGateway = {
    host,
    address,
    iface,
    agent,
    restart: async () => {
      await agent.stop();
      agent = gateway.agent = spawnAgent();
    },
    peers: () => {
      try {
        return run('ip', 'netns', 'exec', ns, 'wg', 'show', iface, 'peers').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    close: async () => {
      await agent.stop();
      // wireguard-go outlives its agent by design (KillMode=process on a host): end it here.
      const pids = () => run('ip', 'netns', 'pids', ns).split('\n').filter(Boolean);
      for (const pid of pids()) works('kill', pid);
      for (let i = 0; i < 40 && pids().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      cleanupNs();
      works('rm', '-f', `/run/wireguard/${iface}.sock`);
    },
  };
  return gateway;
}
