// The gateway's data plane: one WireGuard interface per location, kernel WireGuard where
// `ip link add … type wireguard` works, wireguard-go otherwise. Peers change with `wg set`
// only, so adding or removing one never disturbs another or restarts the interface.
// wireguard-go runs in its own process group: it outlives an agent restart (the unit kills only
// the agent), and a restarted agent adopts the interface it finds.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import type { GatewayLocationConfig, PeerStats, WgPeer } from '../../src-main/contract/index.js';
import { wireguardSocketPath } from '../../src-main/contract/host-layout.js';

const run = promisify(execFile);

export type WgMode = 'kernel' | 'wireguard-go';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly output: string,
  ) {
    super(`${command} failed: ${output.trim().split('\n').slice(-3).join(' / ')}`);
  }
}

async function cmd(program: string, args: string[]): Promise<string> {
  try {
    return (await run(program, args, { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 })).stdout;
  } catch (e) {
    const x = e as { stderr?: string; message: string };
    throw new CommandError(`${program} ${args.join(' ')}`, x.stderr || x.message);
  }
}

function prefixOf(network: string): string {
  return network.slice(network.indexOf('/') + 1);
}

async function interfaceExists(name: string): Promise<boolean> {
  try {
    await cmd('ip', ['link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

/** Brings the location's interface up (or adopts the one that survived a restart). */
export async function ensureInterface(loc: GatewayLocationConfig): Promise<WgMode> {
  let mode: WgMode;
  if (await interfaceExists(loc.interface)) {
    mode = existsSync(wireguardSocketPath(loc.interface)) ? 'wireguard-go' : 'kernel';
  } else {
    try {
      await cmd('ip', ['link', 'add', 'dev', loc.interface, 'type', 'wireguard']);
      mode = 'kernel';
    } catch {
      const child = spawn('wireguard-go', [loc.interface], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
      });
      child.unref();
      const deadline = Date.now() + 5000;
      while (!existsSync(wireguardSocketPath(loc.interface))) {
        if (Date.now() > deadline) throw new Error(`wireguard-go did not create ${loc.interface} within 5 s; is /dev/net/tun available?`);
        await new Promise((r) => setTimeout(r, 50));
      }
      mode = 'wireguard-go';
    }
  }
  // Only what differs is set: wireguard-go closes and reopens its UDP socket on every
  // listen-port write, even of the same port, and a datagram arriving then is lost (an agent
  // restart would cost a running tunnel packets).
  const [privateKey = '', , port = ''] = (await cmd('wg', ['show', loc.interface, 'dump'])).split('\n')[0]!.split('\t');
  const change: string[] = [];
  if (port !== String(loc.listenPort)) change.push('listen-port', String(loc.listenPort));
  if (privateKey !== readFileSync(loc.privateKeyFile, 'utf8').trim()) change.push('private-key', loc.privateKeyFile);
  if (change.length > 0) await cmd('wg', ['set', loc.interface, ...change]);
  await cmd('ip', ['address', 'replace', `${loc.gatewayAddress}/${prefixOf(loc.network)}`, 'dev', loc.interface]);
  await cmd('ip', ['link', 'set', 'dev', loc.interface, 'up']);
  return mode;
}

/** Removes Bulwark's interfaces (named bw-…) that no configured location uses any more. */
export async function removeStaleInterfaces(keep: string[]): Promise<string[]> {
  const links = JSON.parse(await cmd('ip', ['-j', 'link', 'show'])) as { ifname: string }[];
  const stale = links.map((l) => l.ifname).filter((n) => n.startsWith('bw-') && !keep.includes(n));
  for (const name of stale) await cmd('ip', ['link', 'del', 'dev', name]);
  return stale;
}

/** The peers the interface has now: public key → allowed IPs. */
export async function currentPeers(iface: string): Promise<Map<string, string[]>> {
  const out = await cmd('wg', ['show', iface, 'allowed-ips']);
  const peers = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const [key, ips = ''] = line.split('\t');
    if (key) peers.set(key, ips === '(none)' ? [] : ips.split(' ').filter(Boolean));
  }
  return peers;
}

const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * Makes the interface's peers match `desired` with as few changes as possible, in batches of
 * `wg set` (a peer is touched only when it is new, changed or gone). Returns how many changed.
 */
export async function syncPeers(iface: string, desired: WgPeer[]): Promise<number> {
  const have = await currentPeers(iface);
  const want = new Map(desired.map((p) => [p.publicKey, p.allowedIps]));
  const args: string[][] = [];
  for (const [key, ips] of want) {
    const now = have.get(key);
    if (!now || !same(now, ips)) args.push(['peer', key, 'allowed-ips', ips.join(',')]);
  }
  for (const key of have.keys()) if (!want.has(key)) args.push(['peer', key, 'remove']);
  for (let i = 0; i < args.length; i += 500) await cmd('wg', ['set', iface, ...args.slice(i, i + 500).flat()]);
  return args.length;
}

/**
 * Applies a change without reading the interface first (the fast path for a few devices).
 * With wireguard-go it speaks the userspace API on the interface's socket directly, which
 * spares starting a `wg` process per change; kernel WireGuard goes through `wg set`.
 */
export async function patchPeers(iface: string, upsert: WgPeer[], remove: string[]): Promise<void> {
  const socket = wireguardSocketPath(iface);
  if (existsSync(socket)) return uapiSet(socket, upsert, remove);
  const args = [...upsert.map((p) => ['peer', p.publicKey, 'allowed-ips', p.allowedIps.join(',')]), ...remove.map((k) => ['peer', k, 'remove'])];
  for (let i = 0; i < args.length; i += 500) await cmd('wg', ['set', iface, ...args.slice(i, i + 500).flat()]);
}

const hexKey = (base64: string) => Buffer.from(base64, 'base64').toString('hex');

/**
 * Drops each peer's current session (by removing it) and adds it back with the endpoint it was
 * last seen at (or none), so the next packet to it starts a fresh handshake (or none can). A gateway coming back holds
 * old session keys that its clients no longer share; sending with them would be silent loss
 * until the client's own timers run out (seconds).
 */
export async function refreshPeers(iface: string, peers: (WgPeer & { endpoint: string | null })[]): Promise<void> {
  if (peers.length === 0) return;
  const socket = wireguardSocketPath(iface);
  if (existsSync(socket)) {
    await uapiSet(socket, [], peers.map((p) => p.publicKey));
    await uapiRaw(socket, peers.flatMap((p) => [`public_key=${hexKey(p.publicKey)}`, ...(p.endpoint ? [`endpoint=${p.endpoint}`] : []), 'replace_allowed_ips=true', ...p.allowedIps.map((ip) => `allowed_ip=${ip}`)]));
    return;
  }
  const removes = peers.map((p) => ['peer', p.publicKey, 'remove']);
  const adds = peers.map((p) => ['peer', p.publicKey, ...(p.endpoint ? ['endpoint', p.endpoint] : []), 'allowed-ips', p.allowedIps.join(',')]);
  for (const batch of [removes, adds]) for (let i = 0; i < batch.length; i += 500) await cmd('wg', ['set', iface, ...batch.slice(i, i + 500).flat()]);
}

/**
 * Starts a handshake with each peer: one datagram to its tunnel address goes into the tunnel,
 * and WireGuard, having no session, initiates one towards the peer's endpoint first.
 */
export async function kickHandshakes(addresses: string[]): Promise<void> {
  const v4 = addresses.filter((a) => !a.includes(':'));
  const v6 = addresses.filter((a) => a.includes(':'));
  for (const [family, list] of [['udp4', v4], ['udp6', v6]] as const) {
    if (list.length === 0) continue;
    const sock = createSocket(family);
    try {
      await Promise.all(list.map((a) => new Promise<void>((resolve) => sock.send(Buffer.from([0]), 9, a, () => resolve()))));
    } finally {
      sock.close();
    }
  }
}

/** One "set" operation of WireGuard's cross-platform userspace API (wireguard.com/xplatform). */
function uapiSet(socket: string, upsert: WgPeer[], remove: string[]): Promise<void> {
  const lines: string[] = [];
  for (const p of upsert) lines.push(`public_key=${hexKey(p.publicKey)}`, 'replace_allowed_ips=true', ...p.allowedIps.map((ip) => `allowed_ip=${ip}`));
  for (const k of remove) lines.push(`public_key=${hexKey(k)}`, 'remove=true');
  return uapiRaw(socket, lines);
}

function uapiRaw(socket: string, body: string[]): Promise<void> {
  const request = `${['set=1', ...body].join('\n')}\n\n`;
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    let answer = '';
    s.setTimeout(10_000, () => s.destroy(new Error('no answer within 10 s')));
    s.on('connect', () => s.write(request));
    s.on('data', (d) => {
      answer += d;
      if (answer.endsWith('\n\n')) s.end();
    });
    s.on('error', (err) => reject(new CommandError(`wireguard-go API set on ${socket}`, err.message)));
    s.on('close', () => {
      const errno = /errno=(-?\d+)/.exec(answer)?.[1];
      if (errno === '0') resolve();
      else reject(new CommandError(`wireguard-go API set on ${socket}`, `answered ${JSON.stringify(answer.trim()) || 'nothing'}`));
    });
  });
}

/** Yields to the event loop, so a long parse does not hold up peer changes waiting behind it. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/**
 * Per-peer counters. With wireguard-go, read over its API socket and parsed as the answer
 * streams in (a chunk at a time, so a change can be applied between chunks even at 10,000
 * peers); with kernel WireGuard, from `wg show <if> dump`, parsed in batches.
 */
export async function peerStats(iface: string): Promise<PeerStats[]> {
  const socket = wireguardSocketPath(iface);
  if (existsSync(socket)) return (await uapiGet(socket)).map(({ handshakeMs: _, ...stats }) => stats);
  const lines = (await cmd('wg', ['show', iface, 'dump'])).split('\n').slice(1);
  const out: PeerStats[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % 2000 === 0) await breathe();
    const [publicKey = '', , endpoint = '', , handshake = '0', rx = '0', tx = '0'] = lines[i]!.split('\t');
    if (publicKey) out.push({ publicKey, endpoint: endpoint === '(none)' ? null : endpoint, latestHandshake: Number(handshake), rxBytes: Number(rx), txBytes: Number(tx) });
  }
  return out;
}

/**
 * When each peer's latest handshake completed (ms since epoch, 0 for none): to the nanosecond
 * with wireguard-go, to the second with kernel WireGuard.
 */
export async function handshakeTimes(iface: string): Promise<Map<string, number>> {
  const socket = wireguardSocketPath(iface);
  if (existsSync(socket)) return new Map((await uapiGet(socket)).map((p) => [p.publicKey, p.handshakeMs]));
  const lines = (await cmd('wg', ['show', iface, 'latest-handshakes'])).split('\n');
  return new Map(lines.flatMap((l) => {
    const [key = '', sec = '0'] = l.split('\t');
    return key ? [[key, Number(sec) * 1000] as const] : [];
  }));
}

type PeerReading = PeerStats & { handshakeMs: number };

/**
 * A "get" of WireGuard's userspace API: the peers' keys, endpoints, handshakes and counters.
 * wireguard-go holds its configuration lock until the whole answer is written, and every peer
 * change waits for that lock: so the answer is read as fast as it comes and parsed only after,
 * in batches that let waiting work run in between.
 */
async function uapiGet(socket: string): Promise<PeerReading[]> {
  const raw = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = createConnection(socket);
    s.setTimeout(10_000, () => s.destroy(new Error('no answer within 10 s')));
    s.on('connect', () => s.write('get=1\n\n'));
    s.on('data', (chunk) => {
      chunks.push(chunk);
      // The answer ends with "errno=N" and a blank line; the socket stays open for more requests.
      const tail = (chunk.length >= 32 ? chunk.subarray(-32) : Buffer.concat(chunks.slice(-2)).subarray(-32)).toString('latin1');
      if (/(^|\n)errno=-?\d+\n\n$/.test(tail)) s.end();
    });
    s.on('error', (err) => reject(new CommandError(`wireguard-go API get on ${socket}`, err.message)));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  const lines = raw.split('\n');
  const peers: PeerReading[] = [];
  let peer: PeerReading | null = null;
  let errno: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % 10_000 === 0) await breathe();
    const line = lines[i]!;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'public_key') {
      peer = { publicKey: Buffer.from(value, 'hex').toString('base64'), endpoint: null, latestHandshake: 0, rxBytes: 0, txBytes: 0, handshakeMs: 0 };
      peers.push(peer);
    } else if (key === 'errno') errno = value;
    else if (peer) {
      if (key === 'endpoint') peer.endpoint = value;
      else if (key === 'last_handshake_time_sec') {
        peer.latestHandshake = Number(value);
        peer.handshakeMs += Number(value) * 1000;
      } else if (key === 'last_handshake_time_nsec') peer.handshakeMs += Number(value) / 1e6;
      else if (key === 'rx_bytes') peer.rxBytes = Number(value);
      else if (key === 'tx_bytes') peer.txBytes = Number(value);
    }
  }
  if (errno !== '0') throw new CommandError(`wireguard-go API get on ${socket}`, `answered errno=${errno ?? 'nothing'}`);
  return peers;
}

/**
 * Data-plane health of one location: the interface is up and its port is open. The port is
 * read from the kernel's socket table (`ss`), not from WireGuard: asking WireGuard means a full
 * dump of every peer, which at 10,000 peers holds up peer changes.
 */
export async function interfaceHealth(loc: GatewayLocationConfig): Promise<string | null> {
  try {
    const link = JSON.parse(await cmd('ip', ['-j', 'link', 'show', 'dev', loc.interface])) as { flags?: string[] }[];
    if (!link[0]?.flags?.includes('UP')) return `${loc.interface} is down`;
  } catch (err) {
    return `${loc.interface} is missing (${(err as Error).message})`;
  }
  try {
    const open = (await cmd('ss', ['-H', '-u', '-l', '-n', `sport = :${loc.listenPort}`])).trim();
    if (!open) return `nothing listens on UDP port ${loc.listenPort} for ${loc.interface}`;
  } catch (err) {
    return `cannot read the socket table (${(err as Error).message})`;
  }
  return null;
}
