// The gateway's data plane at start, before Core is heard from: forgets the locations it no
// longer serves, turns on forwarding, brings up each location's interface and re-applies the
// peers it applied last time. A location that cannot come up is a failure health reports.
import { writeFileSync } from 'node:fs';
import type { GatewayLocationConfig } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import type { GatewayState } from './state.js';
import { clearSourceRule } from './vrrp.js';
import { ensureInterface, removeStaleInterfaces, syncPeers, type WgMode } from './wireguard.js';

export interface BroughtUp {
  /** How WireGuard runs here; null when no interface came up. */
  mode: WgMode | null;
  /** Why a location's interface did not come up, by location. */
  failures: Map<string, string>;
}

export async function bringUp(locations: readonly GatewayLocationConfig[], state: GatewayState): Promise<BroughtUp> {
  const served = new Set(locations.map((l) => l.name));
  // Locations Core no longer assigns to this gateway are forgotten.
  state.record([...state.locations.keys()].filter((name) => !served.has(name)).map((loc) => ({ op: 'drop' as const, loc })));

  try {
    const removed = await removeStaleInterfaces(locations.map((l) => l.interface));
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
  for (const loc of locations) if (!loc.vrrp) await clearSourceRule(loc.listenPort);
  let mode: WgMode | null = null;
  const failures = new Map<string, string>();
  for (const loc of locations) {
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
  return { mode, failures };
}
