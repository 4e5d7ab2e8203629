// host-apply's graceful handover (rolling order, vrrp): a gateway that holds a floating IP
// gives it up before its own units restart. keepalived stopped with SIGTERM sends one advert
// with priority 0, which tells the backups to take over at once instead of waiting out the
// master-down timer (3 adverts and a skew); the standby's agent then starts the handshakes.
import { execFileSync } from 'node:child_process';
import type { HostApplyOrder } from '../../contract/index.js';
import { StepError } from './output.js';

export type Handover = NonNullable<HostApplyOrder['handover']>;
type Vip = Handover['vips'][number];

/** Whether `ip -j -4 addr show` output lists the address (without its prefix). Pure. */
export function listsAddress(ipJson: string, address: string): boolean {
  const links = JSON.parse(ipJson) as { addr_info?: { local?: string }[] }[];
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === address));
}

function holds(v: Vip): boolean {
  try {
    return listsAddress(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', v.interface], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }), v.address);
  } catch {
    return false; // no such interface: nothing held there
  }
}

/** The floating IPs on this host now. */
export function heldVips(h: Handover): Vip[] {
  return h.vips.filter(holds);
}

/**
 * Stops keepalived (through `stop`, which records it for the rollback) and waits until the
 * floating IPs it held have left this host. Returns what it gave up, for the progress line.
 */
export async function handOver(h: Handover, held: Vip[], stop: (unit: string) => void): Promise<string> {
  const t0 = performance.now();
  stop(h.unit);
  const deadline = Date.now() + 5000;
  while (held.some(holds)) {
    if (Date.now() > deadline) throw new StepError(`${held.filter(holds).map((v) => v.address).join(', ')} still on this host 5 s after keepalived stopped`, `ip -j -4 addr show`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return `gave up ${held.map((v) => `${v.address} (${v.location})`).join(', ')}; keepalived stopped in ${Math.round(performance.now() - t0)} ms`;
}
