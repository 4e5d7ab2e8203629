// `bulwark status`: every agent's control link, or one location's gateways and devices live.
// It exits 1 while something is down, so a script can wait on it.
import type { Command } from 'commander';
import type { EdgeStatus, LinkState, LocationStatus } from '../../contract/index.js';
import { formatBytes } from '../../text/bytes.js';
import { formatAge } from '../../text/duration.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { json, text } from '../options.js';

const health = (h: boolean | null) => (h === null ? '-' : h ? 'healthy' : 'UNHEALTHY');
const bytes = (n: number | null) => (n === null ? '-' : formatBytes(n));
/** A time as its age ("5 min ago"; the exact time is in --json), or `never` for none. */
const ago = (iso: string | null, never = 'never') => (iso === null ? never : `${formatAge(Date.now() - Date.parse(iso))} ago`);

type GatewayStatus = LocationStatus['gateways'][number];

function formatLocation(st: LocationStatus): string {
  let out = `Location ${safe(st.location)}${st.mfa ? ` (MFA: a device is connected only with a session; idle peers are dropped after ${st.disconnectThreshold} s)` : ''}\n\nGateways\n`;
  const vrrp = st.failover.mode === 'vrrp';
  const lb = st.failover.mode === 'lb';
  const rotation = (r: GatewayStatus['lb']) => (r === null ? '-' : `${r.inRotation ? 'in rotation' : 'OUT'}${r.healthy === false ? ', check fails' : ''}`);
  const gwHead = ['HOST', 'LINK', 'SINCE', 'HEALTH', 'WIREGUARD', 'PEERS', ...(vrrp ? ['VRRP'] : []), ...(lb ? ['LOAD BALANCER'] : []), 'WHY'];
  const gwRow = (g: GatewayStatus) => [
    g.host,
    g.link,
    ago(g.since, '-'),
    health(g.healthy),
    g.wireguardMode,
    g.peers,
    ...(vrrp ? [g.vrrp ? `${g.vrrp.role ?? 'starting'}${g.vrrp.holdsVip ? ', holds the floating IP' : ''}` : '-'] : []),
    ...(lb ? [rotation(g.lb)] : []),
    g.reason,
  ];
  out += st.gateways.length === 0 ? '  none: add one with "bulwark gateway add"\n' : table(gwHead, st.gateways.map(gwRow));
  if (vrrp) out += `\nFloating IP ${st.failover.vip}: ${st.failover.holders.length ? `held by ${st.failover.holders.join(', ')}` : 'held by no gateway'}\n`;
  const b = st.failover.balancer;
  if (b) out += `\nLoad balancer ${safe(b.host)}: link ${b.link}${b.nginxRunning === null ? '' : b.nginxRunning ? ', nginx running' : ', NGINX NOT RUNNING'}\n`;
  for (const p of st.failover.problems) out += `${st.failover.pendingApply ? 'PENDING' : 'PROBLEM'}: ${safe(p)}\n`;
  out += `\nDevices\n`;
  const head = ['NAME', 'ADDRESS', 'STATE', 'HANDSHAKE', 'ENDPOINT', 'RX', 'TX', 'VIA', ...(st.mfa ? ['SESSION'] : [])];
  const row = (d: LocationStatus['devices'][number]) => [
    d.name,
    d.address,
    d.enabled ? 'enabled' : 'DISABLED',
    ago(d.latestHandshake),
    d.endpoint,
    bytes(d.rxBytes),
    bytes(d.txBytes),
    d.gateway,
    ...(st.mfa ? [d.session ? `${d.session.id} since ${d.session.startedAt}` : 'none (waiting for MFA)'] : []),
  ];
  return out + (st.devices.length === 0 ? '  none\n' : table(head, st.devices.map(row)));
}

function formatLinks(links: LinkState[]): string {
  if (links.length === 0) return 'No agents yet: Core links with agents once their hosts are provisioned ("bulwark provision apply").\n';
  return table(
    ['AGENT', 'LINK', 'SINCE', 'HEALTH', 'VERSION', 'CERT UNTIL', 'BAD MSGS', 'WHY'],
    links.map((l) => [l.agent, l.state, ago(l.since, '-'), health(l.healthy), l.agentVersion, l.certificate?.notAfter.slice(0, 10), l.badMessages, l.reason]),
  );
}

/** The public side: empty when there are no edges, no public name and no lockouts. */
function formatEdges(st: EdgeStatus): string {
  if (st.edges.length === 0 && st.public === null && st.lockouts.length === 0) return '';
  let out = `\nPublic side${st.public ? `: https://${safe(st.public.publicName)}/${st.public.balancer ? ` through the balancer on ${safe(st.public.balancer)}` : ' (your own proxy)'}` : ''}\n`;
  if (st.edges.length > 0) {
    const rotation = (e: EdgeStatus['edges'][number]) => (e.balancer === null ? '-' : `${e.balancer.inRotation ? 'in' : 'OUT'} (${e.balancer.status}${e.balancer.check ? `: ${e.balancer.check}` : ''})`);
    out += table(
      ['EDGE', 'LINK', 'READY', 'SERVED', 'FAILED', 'BALANCER', 'WHY'],
      st.edges.map((e) => [e.host, e.link, e.ready === null ? '-' : e.ready ? 'ready' : 'NOT READY', e.served, e.failed, rotation(e), e.notReady ?? e.reason]),
    );
  }
  if (st.balancer) out += `Balancer ${safe(st.balancer.host)}: agent link ${st.balancer.link ?? 'none yet'}${st.balancer.error ? `, ${safe(st.balancer.error)}` : ''}\n`;
  for (const l of st.lockouts) out += `LOCKED: ${l.kind} ${safe(l.subject)} until ${l.until} after ${l.failures} failures ("bulwark lockout clear ${l.id}" ends it)\n`;
  for (const p of st.problems) out += `PROBLEM: ${safe(p)}\n`;
  return out;
}

export function register(program: Command, cli: Cli): void {
  const options = {
    location: text('<name>', "a location's gateways (link, health, WireGuard mode, peers) and devices (handshake, endpoint, traffic)", { field: 'name' }),
    json,
  };
  const description = "each agent's control link (state, since when, health, why it is down); with --location, its gateways and devices live";
  cli.command(program, 'status', description, options, async (o, cmd) => {
    if (o.location !== undefined) {
      const st = await client(cmd).call('locations.status', { name: o.location });
      if (o.json) return cli.json(st);
      cli.io.out(formatLocation(st));
      if (st.gateways.some((g) => g.link !== 'up' || g.healthy === false) || st.failover.problems.length > 0) return 1;
      return;
    }
    const links = await client(cmd).call('links.list', {});
    const edges = await client(cmd).call('edges.status', {});
    if (o.json) return cli.json({ links, edges });
    cli.io.out(formatLinks(links) + formatEdges(edges));
    if (links.some((l) => l.state !== 'up')) return 1;
  });
}
