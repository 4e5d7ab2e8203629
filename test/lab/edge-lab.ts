// The public service on real hosts, as the edge lab test and bench/edge need it: a gateway of
// a plain location "office" and an MFA location "secure", two edges, the edge balancer
// (HAProxy) on its own host, and a client host; all provisioned with one `provision apply`.
import { expect } from 'vitest';
import { until } from '../helpers/agent.js';
import { runCli, type InProcessServer } from '../helpers/server.js';
import { httpsCall } from '../helpers/edge-client.js';
import type { Lab, LabHost } from './scenario.js';
import { edgesUp } from './haproxy-view.js';

export { edgesUp };

export const OFFICE_POOL = '10.77.0.0/24';
export const SECURE_POOL = '10.76.0.0/24';
/** The gateway's address inside each location's tunnel: the service a client reaches. */
export const OFFICE_GATEWAY = '10.77.0.1';
export const SECURE_GATEWAY = '10.76.0.1';
/** The shortest idle threshold an MFA location accepts. */
export const SECURE_THRESHOLD_S = 60;

/** Adds a booted host to Core and pins the key read on the host itself. */
export async function addHost(lab: Lab, srv: InProcessServer, h: LabHost): Promise<void> {
  await srv.client.call('hosts.create', { name: h.name, ssh: `root@${h.address}`, identityFile: lab.keyFile });
  const own = lab.exec(h.name, ['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']).stdout.split(' ')[1]!;
  await srv.client.call('hosts.check', { name: h.name, accept: own });
}

export async function edgeLab(lab: Lab, srv: InProcessServer) {
  const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
  const [gw, e1, e2, lb, client] = await Promise.all(['gw', 'e1', 'e2', 'lb', 'client'].map((n) => lab.boot(n)));
  expect((await cli('location', 'add', 'office', '--network', OFFICE_POOL, '--endpoint', `${gw!.address}:51820`)).code).toBe(0);
  const secure = await cli('location', 'add', 'secure', '--network', SECURE_POOL, '--endpoint', `${gw!.address}:51821`, '--mfa', '--disconnect-threshold', String(SECURE_THRESHOLD_S));
  expect(secure.code, secure.stderr).toBe(0);
  for (const h of [gw!, e1!, e2!, lb!]) await addHost(lab, srv, h);
  for (const l of ['office', 'secure']) await srv.client.call('gateways.add', { location: l, host: 'gw' });
  for (const e of ['e1', 'e2']) {
    const added = await cli('edge', 'add', '--host', e);
    expect(added.code, added.stdout + added.stderr).toBe(0);
  }
  const balancer = await cli('edge', 'balancer', '--host', 'lb', '--public-name', lb!.address);
  expect(balancer.code, balancer.stderr).toBe(0);
  expect(balancer.stdout).toMatch(/browsers will not trust it/);
  const apply = await cli('provision', 'apply');
  expect(apply.code, apply.stdout + apply.stderr).toBe(0);
  expect(apply.stdout).toMatch(/bulwark-haproxy\.service/);
  const base = `https://${lb!.address}`;
  const linked = async () => {
    const links = await srv.client.call('links.list', {});
    return ['gateway:gw', 'edge:e1', 'edge:e2'].every((a) => links.some((l) => l.agent === a && l.state === 'up'));
  };
  await until('Core linked with the gateway and both edges', linked, 30_000);
  await until('the balancer to put both edges in rotation', () => edgesUp(lab).then((up) => up.length === 2), 20_000);
  expect((await httpsCall(base, '/readyz')).status).toBe(200);
  return { cli, base, hosts: { gw: gw!, e1: e1!, e2: e2!, lb: lb!, client: client! } };
}

/**
 * What stands between an edge and the balancer's rotation, for a failed wait's message: the
 * balancer's row for it, Core's link and the edge's readiness, the balancer host's neighbour
 * entry, and the edge agent's last log lines.
 */
export async function edgeDiagnosis(lab: Lab, srv: InProcessServer, edge: string, address: string): Promise<string> {
  const stat = lab.exec('lb', ['sh', '-c', 'echo "show stat" | socat - UNIX-CONNECT:/run/bulwark-haproxy/admin.sock 2>/dev/null || true']).stdout.split('\n');
  const header = (stat[0] ?? '').replace(/^# /, '').split(',');
  const row = (stat.find((l) => l.startsWith(`bulwark_edges,edge-${edge},`)) ?? '').split(',');
  const fields = ['status', 'check_status', 'check_code', 'check_duration', 'last_chk', 'lastchg', 'chkfail', 'addr'];
  const haproxy = fields.map((f) => `${f}=${row[header.indexOf(f)] ?? '?'}`).join(' ');
  const links = (await srv.client.call('links.list', {})).filter((l) => l.agent === `edge:${edge}`);
  const status = (await srv.client.call('edges.status', {})).edges.filter((e) => e.host === edge);
  const neigh = lab.exec('lb', ['ip', 'neigh', 'show', address]).stdout.trim();
  const mac = lab.exec(edge, ['cat', '/sys/class/net/eth0/address']).stdout.trim();
  const journal = lab.exec(edge, ['journalctl', '-u', 'bulwark-edge', '-n', '15', '--no-pager', '-o', 'short-precise']).stdout.trim();
  return [`haproxy: ${haproxy}`, `links: ${JSON.stringify(links)}`, `edges.status: ${JSON.stringify(status)}`, `lb neighbour: ${neigh} (${edge} eth0 is ${mac})`, `journal:\n${journal}`].join('\n');
}

/** Brings a wg-quick tunnel up on the client from a config text. */
export function tunnelUp(lab: Lab, name: string, config: string): void {
  const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > "/etc/wireguard/$2.conf" && wg-quick up "$2"', 'sh', config, name]);
  expect(up.code, up.stderr).toBe(0);
}
