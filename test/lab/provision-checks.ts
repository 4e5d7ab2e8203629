// What the provisioning lab tests look at on a host: its files (the "exact state"), a unit's
// state, an agent's health answer, and pinning a host's key the way an admin does.
import { createHash } from 'node:crypto';
import type { InProcessServer } from '../helpers/server.js';
import type { Lab } from './scenario.js';

/** Every file, link and directory Bulwark may touch, with mode, size and digest: the "exact state". */
export function snapshot(lab: Lab, host: string, opts: { skipStaging?: boolean; times?: boolean } = {}): string {
  const format = `%p %y %m %u:%g %s %l${opts.times ? ' %T@' : ''}\\n`;
  const dirs = '/opt/bulwark /etc/bulwark /var/lib/bulwark /etc/systemd/system';
  const r = lab.exec(host, [
    'sh',
    '-c',
    `for d in ${dirs}; do [ -e "$d" ] && find "$d" -xdev -printf "${format}"; done | sort; find ${dirs} -xdev -type f -exec sha256sum {} + 2>/dev/null | sort -k2`,
  ]);
  // The running gateway agent's own state (what Core synced to it) is not Bulwark's install.
  const lines = r.stdout.split('\n').filter((l) => !/\/var\/lib\/bulwark\/gateway(\/| )/.test(l));
  return (opts.skipStaging ? lines.filter((l) => !/\/var\/lib\/bulwark(\/staging|\/backup| )/.test(l)) : lines).join('\n');
}

export function unitState(lab: Lab, host: string, unit: string): { active: string; pid: string } {
  const active = lab.exec(host, ['systemctl', 'is-active', unit]).stdout.trim();
  const pid = lab.exec(host, ['systemctl', 'show', '-p', 'MainPID', '--value', unit]).stdout.trim();
  return { active, pid };
}

/** GET /healthz on the host's loopback, with bash's /dev/tcp (the image has no curl). */
export function health(lab: Lab, host: string, port: number): { ok: boolean; role: string; host: string; configSha256: string } {
  const r = lab.exec(host, [
    'bash',
    '-c',
    'exec 3<>/dev/tcp/127.0.0.1/$1 && printf "GET /healthz HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n" >&3 && cat <&3',
    'bash',
    String(port),
  ]);
  const body = r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as { ok: boolean; role: string; host: string; configSha256: string };
}

export function fileSha(lab: Lab, host: string, path: string): string {
  return createHash('sha256').update(lab.exec(host, ['cat', path]).stdout).digest('hex');
}

export async function addPinnedHost(srv: InProcessServer, lab: Lab, name: string, address: string): Promise<void> {
  await srv.client.call('hosts.create', { name, ssh: `root@${address}`, identityFile: lab.keyFile });
  const own = lab.exec(name, ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
  await srv.client.call('hosts.check', { name, accept: own });
}
