// The gateway's side of a floating IP that keepalived moves (VRRP): it learns its role from
// keepalived's notify FIFO, writes the data-plane health keepalived tracks, sends WireGuard's
// packets from the floating IP, and removes a floating IP that a dead keepalived left behind.
import { execFile } from 'node:child_process';
import { existsSync, fstatSync, openSync, statSync, constants as fs } from 'node:fs';
import { Socket } from 'node:net';
import { promisify } from 'node:util';
import { KEEPALIVED_PID_FILE } from '../../src-main/contract/host-layout.js';
import type { VrrpRole } from '../../src-main/contract/index.js';
import { log } from '../shared/agent.js';
import { livePid } from '../shared/pid.js';

const run = promisify(execFile);

export type { VrrpRole };

/** One line of keepalived's notify FIFO: `INSTANCE "bw_hq" MASTER 100`; null for other lines (groups, checkers). */
export function parseNotifyLine(line: string): { instance: string; role: VrrpRole } | null {
  const m = /^INSTANCE "([^"]+)" (MASTER|BACKUP|FAULT|STOP|DELETED)\b/.exec(line.trim());
  if (!m) return null;
  return { instance: m[1]!, role: m[2] === 'DELETED' ? 'STOP' : (m[2] as VrrpRole) };
}

/** The FIFO's inode now, or null when the path names no FIFO. */
function fifoInode(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFIFO() ? st.ino : null;
  } catch {
    return null;
  }
}

/**
 * Makes keepalived's notify FIFO if it is not there, so that it is the agent's, which keepalived
 * never removes. keepalived starts beside the agent and makes one too when it finds none: if it
 * did so first (mkfifo then fails), its FIFO is the one to read.
 */
export async function makeNotifyFifo(path: string): Promise<void> {
  if (existsSync(path)) return;
  try {
    await run('mkfifo', ['-m', '0600', path]);
  } catch (err) {
    if (fifoInode(path) === null) throw err;
  }
}

/**
 * Reads keepalived's notify FIFO, creating it first. Opened read-write so that neither side
 * blocks while the other is absent (keepalived restarts, or starts before us).
 *
 * A keepalived that found no FIFO makes one, and removes it when it exits or reloads; the next
 * keepalived makes another. A reader still holding the first would hear no role change again
 * (a takeover then goes unmeasured, a drill unanswered). So the path is checked every
 * `followMs`: when it names another FIFO, or none (then the agent makes it), the reader moves
 * to it. What keepalived wrote meanwhile waits in the new FIFO and is read then.
 */
export async function readNotifyFifo(path: string, onLine: (line: string) => void, followMs = 1000): Promise<() => void> {
  let rest = '';
  const open = async (): Promise<{ pipe: Socket; ino: number | null }> => {
    await makeNotifyFifo(path);
    const fd = openSync(path, fs.O_RDWR | fs.O_NONBLOCK);
    const pipe = new Socket({ fd, readable: true, writable: false });
    pipe.on('data', (chunk) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l);
    });
    pipe.on('error', () => undefined);
    return { pipe, ino: fstatSync(fd).ino };
  };
  let current = await open();
  let moving = false;
  const timer = setInterval(() => {
    if (moving || fifoInode(path) === current.ino) return;
    moving = true;
    log("keepalived's notify FIFO was replaced: reading the new one", { fifo: path });
    open().then(
      (next) => {
        current.pipe.destroy();
        current = next;
        moving = false;
      },
      (err: Error) => {
        log("cannot open keepalived's new notify FIFO; trying again", { fifo: path, error: err.message });
        moving = false;
      },
    );
  }, followMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    current.pipe.destroy();
  };
}

const addressOf = (vip: string) => vip.slice(0, vip.indexOf('/'));

/** True when the floating IP sits on this host's interface now. */
export async function holdsVip(iface: string, vip: string): Promise<boolean> {
  try {
    const out = JSON.parse((await run('ip', ['-j', '-4', 'addr', 'show', 'dev', iface])).stdout) as { addr_info?: { local?: string }[] }[];
    return out.some((l) => (l.addr_info ?? []).some((a) => a.local === addressOf(vip)));
  } catch {
    return false;
  }
}

/** keepalived's main process is alive (from the pid file its unit gives it). */
export function keepalivedAlive(pidFile = KEEPALIVED_PID_FILE): boolean {
  return livePid(pidFile) !== null;
}

export async function removeVip(iface: string, vip: string): Promise<void> {
  await run('ip', ['addr', 'del', vip, 'dev', iface]);
}

/** The policy-routing table that sends one location's WireGuard packets from its floating IP. */
export function sourceTable(listenPort: number): number {
  return listenPort >= 253 && listenPort <= 255 ? 65_536 + listenPort : listenPort;
}

/** The rule that sends WireGuard's own packets to that table. Protocol 17 (UDP) by number: a minimal host may have no /etc/protocols to look "udp" up in. */
function sourceRule(listenPort: number): string[] {
  return ['priority', '1000', 'ipproto', '17', 'sport', String(listenPort), 'lookup', String(sourceTable(listenPort))];
}

/**
 * WireGuard's own packets (UDP from its listen port) leave from the floating IP: a rule sends
 * them to a table of their own, holding the interface's routes with the floating IP as source.
 * The main table is not touched (replacing its connected route would lose the host's LAN when
 * the floating IP goes). The kernel drops those routes by itself when the floating IP leaves
 * the interface, so a demoted gateway falls back to its own address.
 */
export async function sourceFromVip(listenPort: number, iface: string, vip: string): Promise<void> {
  const table = String(sourceTable(listenPort));
  const rule = sourceRule(listenPort);
  await run('ip', ['rule', 'del', ...rule]).catch(() => undefined); // one rule, however often this runs
  await run('ip', ['rule', 'add', ...rule]);
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show', 'table', 'main', 'dev', iface])).stdout) as { dst: string; gateway?: string }[];
  for (const r of routes) {
    const args = ['route', 'replace', r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', iface, 'src', addressOf(vip), 'table', table];
    await run('ip', args);
  }
}

/** Removes the rule of a location that no longer has a floating IP here (the table is then unused). */
export async function clearSourceRule(listenPort: number): Promise<void> {
  await run('ip', ['rule', 'del', ...sourceRule(listenPort)]).catch(() => undefined);
}

/** What the track file holds for keepalived: 0 while the data plane is healthy, 1 when not. */
export function trackValue(healthy: boolean): string {
  return healthy ? '0\n' : '1\n';
}
