// The edges as the HAProxy on this host sees them: `show stat` on its stats socket, parsed into
// one entry per edge (in rotation or not, HAProxy's status word and last check). The balancer
// agent reports this in its heartbeat, so `bulwark status` shows the balancer's own view.
import { connect } from 'node:net';
import type { EdgeRotationEntry } from '../../src-main/contract/index.js';

/** The edge's host from HAProxy's server name ("edge-<host>", config-gen/haproxy). */
const hostOf = (svname: string) => (svname.startsWith('edge-') ? svname.slice('edge-'.length) : null);

/** Parses `show stat` CSV for one backend's servers. Pure. */
export function parseHaproxyStat(csv: string, backend: string): EdgeRotationEntry[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '))?.slice(2).split(',');
  if (!header) return [];
  const col = (name: string) => header.indexOf(name);
  const [px, sv, status, check, desc, lastchg] = ['pxname', 'svname', 'status', 'check_status', 'check_desc', 'lastchg'].map(col) as [number, number, number, number, number, number];
  const out: EdgeRotationEntry[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(',');
    if (f[px] !== backend) continue;
    const host = hostOf(f[sv] ?? '');
    if (host === null) continue;
    const st = f[status] ?? '';
    const checkStatus = f[check] ?? '';
    const passed = /^(L7OK|L6OK|L4OK)$/.test(checkStatus.replace(/^\*/, ''));
    const since = Number(f[lastchg]);
    out.push({
      host,
      // "UP 1/2" is still in rotation (failing, not yet out); "DOWN 1/2" not yet back.
      inRotation: st === 'UP' || st.startsWith('UP ') || st === 'NOLB',
      status: st,
      check: passed || checkStatus === '' ? null : `${checkStatus.replace(/^\*/, '')}${f[desc] ? `: ${f[desc]}` : ''}`,
      sinceSeconds: f[lastchg] === '' || !Number.isFinite(since) ? null : since,
    });
  }
  return out.sort((a, b) => (a.host < b.host ? -1 : 1));
}

/** Asks HAProxy for `show stat`; rejects when the socket does not answer within timeoutMs. */
export function readHaproxyStat(socket: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const s = connect(socket, () => s.end('show stat\n'));
    s.setEncoding('utf8');
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`HAProxy's stats socket did not answer within ${timeoutMs} ms`)));
    s.on('data', (c: string) => (text += c));
    s.on('end', () => resolve(text));
    s.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'ENOENT' ? 'HAProxy is not running (no stats socket)' : `cannot read HAProxy's stats: ${err.message}`)));
  });
}
