// What the edge balancer's HAProxy has in rotation, read on the lab host from its stats socket
// (for the edge lab test and bench/edge; Core learns the same through the balancer agent).
import type { Lab } from './scenario.js';

export async function edgesUp(lab: Lab, host = 'lb'): Promise<string[]> {
  const out = lab.exec(host, ['sh', '-c', 'echo "show stat" | socat - UNIX-CONNECT:/run/bulwark-haproxy/admin.sock 2>/dev/null || true']).stdout;
  return out
    .split('\n')
    .map((l) => l.split(','))
    .filter((f) => f[0] === 'bulwark_edges' && f[1]?.startsWith('edge-') && f[17] === 'UP')
    .map((f) => f[1]!.slice('edge-'.length))
    .sort();
}
