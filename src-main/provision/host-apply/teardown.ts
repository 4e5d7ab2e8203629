// What a role leaves running on purpose when its agent stops, ended when the host no longer
// has that role: the gateway's tunnels (KillMode=process) and the balancer's nginx.
import { readdirSync, rmSync } from 'node:fs';
import { livePid } from '../../../agents/shared/pid.js';
import { NGINX_PID_FILE } from '../../contract/host-layout.js';
import { run } from './output.js';

/** Interface names of Bulwark's tunnels (interfaceName() in the host layout gives them). */
const TUNNEL_PREFIX = 'bw-';

export function stopBalancerNginx(): void {
  const pidFile = NGINX_PID_FILE;
  const pid = livePid(pidFile, 'nginx');
  try {
    if (pid !== null) process.kill(pid, 'SIGQUIT');
    rmSync(pidFile, { force: true });
  } catch {
    // it ended meanwhile
  }
}

export function removeTunnels(): void {
  const names = readdirSync('/sys/class/net').filter((n) => n.startsWith(TUNNEL_PREFIX));
  for (const name of names) run('ip', ['link', 'del', 'dev', name]);
}
