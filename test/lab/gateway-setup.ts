// Makes a booted lab host a provisioned gateway of a location, the way an admin would: add
// the host, pin its key (read on the host itself), add the gateway, `provision apply`, and
// wait until Core's link to it is up and healthy.
import { expect } from 'vitest';
import { until } from '../helpers/agent.js';
import { runCli, type InProcessServer } from '../helpers/server.js';
import type { Lab } from './scenario.js';

export async function provisionGateway(lab: Lab, srv: InProcessServer, host: { name: string; address: string }, location: string): Promise<void> {
  await srv.client.call('hosts.create', { name: host.name, ssh: `root@${host.address}`, identityFile: lab.keyFile });
  const own = lab.exec(host.name, ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
  await srv.client.call('hosts.check', { name: host.name, accept: own });
  await srv.client.call('gateways.add', { location, host: host.name });
  const apply = await runCli(['--data-dir', srv.dataDir, 'provision', 'apply', '--host', host.name]);
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  await until(`the link to gateway ${host.name}`, async () => (await srv.client.call('links.list', {})).find((l) => l.agent === `gateway:${host.name}` && l.state === 'up' && l.healthy));
}

/** What the gateway agent's loopback health endpoint answers, read on the host. */
export function gatewayHealth(lab: Lab, host: string): { ok: boolean; startedAt: string; wireguard: { mode: string; locations: { name: string; interface: string; peers: number; mfa?: boolean; expiredUnacknowledged?: number }[] } } {
  const raw = lab.exec(host, ['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/9461 && printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3']).stdout;
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}
