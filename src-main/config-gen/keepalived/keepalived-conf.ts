// keepalived for a gateway host: one VRRP instance per location whose failover mode is vrrp.
// Pure: model in, text out. Choices, and why:
// - VRRPv3: the only version with sub-second adverts (centiseconds).
// - state BACKUP + nopreempt everywhere, one priority: a gateway that comes back does not take
//   the floating IP back (each takeover costs the clients a handshake; defguard#1909).
// - track_file on the agent's data-plane health, weight 0: a gateway whose WireGuard is down
//   goes to FAULT, so it loses or never takes the floating IP. The agent writes the file on
//   every health change; keepalived watches it with inotify, so no check process is forked
//   each advert interval, and the reaction is immediate.
// - notify_fifo: keepalived tells the agent each state change (MASTER, BACKUP, FAULT, STOP)
//   on a FIFO the agent reads; on MASTER the agent starts the clients' handshakes at once.
// - unicast_peer when asked: for networks that drop multicast.
import { locationIdentifier } from '../location-identifier.js';

export interface KeepalivedInstance {
  location: string;
  /** The LAN interface that carries the floating IP. */
  interface: string;
  /** virtual_router_id, 1–255, unique on the LAN. */
  routerId: number;
  /** Seconds between adverts, 0.01–255 in steps of 0.01. */
  advertInterval: number;
  /** The floating IP with the LAN's prefix, "198.51.100.100/24". */
  vip: string;
  /** Unicast adverts from this host's address to the other gateways'; null for multicast. */
  unicast: { source: string; peers: string[] } | null;
  /** File holding the agent's data-plane health for this location: 0 healthy, 1 not. */
  trackFile: string;
}

export interface KeepalivedModel {
  host: string;
  /** FIFO the agent reads state changes from. */
  notifyFifo: string;
  instances: KeepalivedInstance[];
}

/** The instance (and track file) name keepalived knows a location by. */
export const instanceName = locationIdentifier;

const WORD = /^[A-Za-z0-9_.:/@+-]+$/;

function word(what: string, v: string): string {
  if (!WORD.test(v)) throw new Error(`invariant failed: keepalived ${what} ${JSON.stringify(v)} is a plain word`);
  return v;
}

export function renderKeepalivedConf(m: KeepalivedModel): string {
  const out: string[] = [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    'global_defs {',
    `  router_id bulwark-${word('host', m.host)}`,
    '  vrrp_version 3',
    '  vrrp_garp_master_repeat 2',
    '  vrrp_garp_master_refresh 0',
    `  notify_fifo ${word('fifo', m.notifyFifo)}`,
    '}',
  ];
  const instances = [...m.instances].sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  for (const i of instances) {
    const name = instanceName(i.location);
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(i.vip)) throw new Error(`invariant failed: vip ${i.vip} is IPv4 address/prefix`);
    if (!Number.isInteger(i.routerId) || i.routerId < 1 || i.routerId > 255) throw new Error(`invariant failed: router id ${i.routerId} is 1-255`);
    const advert = Math.round(i.advertInterval * 100) / 100;
    out.push(
      '',
      `vrrp_track_file ${name}_health {`,
      `  file ${word('track file', i.trackFile)}`,
      '}',
      '',
      `vrrp_instance ${name} {`,
      '  state BACKUP',
      '  nopreempt',
      `  interface ${word('interface', i.interface)}`,
      `  virtual_router_id ${i.routerId}`,
      '  priority 100',
      `  advert_int ${advert}`,
    );
    if (i.unicast) {
      out.push(`  unicast_src_ip ${word('address', i.unicast.source)}`, '  unicast_peer {');
      for (const p of [...i.unicast.peers].sort()) out.push(`    ${word('address', p)}`);
      out.push('  }');
    }
    out.push(
      '  virtual_ipaddress {',
      `    ${word('vip', i.vip)} dev ${i.interface}`,
      '  }',
      '  track_file {',
      `    ${name}_health weight 0`,
      '  }',
      '}',
    );
  }
  return `${out.join('\n')}\n`;
}
