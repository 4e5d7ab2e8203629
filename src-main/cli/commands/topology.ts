// `bulwark topology`: everything Bulwark runs, as a tree with the problems last (or JSON, or
// Graphviz). It exits 1 while a problem of warning or critical severity stands.
import type { Command } from 'commander';
import type { Topology, TopologyGateway } from '../../contract/index.js';
import { graphToDot, topologyGraph } from '../../graph/topology-graph.js';
import { formatDuration } from '../../text/duration.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { flag, json } from '../options.js';

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

function gatewayPart(g: TopologyGateway, location: string): string {
  const x = g.locations.find((l) => l.location === location);
  const role = x?.holdsVip ? 'MASTER, holds the floating IP' : x?.role ?? (x?.inRotation === false ? 'OUT of rotation' : x?.inRotation ? 'in rotation' : '');
  return [g.word, role && role.toLowerCase() !== g.word ? role : null, x ? `${x.peers ?? '-'} peers, ${x.activePeers} active` : null].filter(Boolean).join('; ');
}

export function formatTopology(t: Topology): string {
  let out = `Core ${t.core.version}: ${t.core.word}, up ${formatDuration(t.core.uptimeS * 1000)}; CA until ${day(t.core.caNotAfter)}\n`;
  for (const l of t.locations) {
    const f = l.failover;
    const how = f.mode === 'vrrp' ? `floating IP ${f.vip} on ${f.holders.join(' and ') || 'no gateway'}` : f.mode === 'lb' ? `load balancer ${f.balancer} (${f.inRotation ?? '?'} in rotation)` : 'no failover';
    const sessions = l.sessions === null ? '' : `, ${l.sessions} in session`;
    out += `\nLocation ${safe(l.name)} (${l.network}): ${l.word.toUpperCase()}; ${how}; ${l.devices} devices, ${l.activePeers} active${sessions}\n`;
    const rows = l.gateways.map((host) => {
      const g = t.gateways.find((x) => x.host === host)!;
      return [`  ${host}`, gatewayPart(g, l.name), `link ${g.link}`, `config ${g.config}`, g.version ?? '-', `cert ${day(g.certNotAfter)}`];
    });
    if (rows.length > 0) out += table(['  GATEWAY', 'STATE', 'LINK', 'CONFIG', 'AGENT', 'CERT'], rows);
    const last = l.lastFailover;
    if (last) out += `  last failover ${last.tookAt}: ${last.previous ?? '?'} -> ${last.gateway}, ${last.back} of ${last.clients} clients back, median ${last.medianMs === null ? '-' : formatDuration(last.medianMs)}, slowest ${last.slowestMs === null ? '-' : formatDuration(last.slowestMs)}${last.drill ? ' (drill)' : ''}\n`;
  }
  for (const b of t.balancers) {
    const duties = [...b.locations.map((x) => `${x.location}: ${x.inRotation.join(', ') || 'none'} in rotation${x.out.length ? `, ${x.out.join(', ')} out` : ''}`), ...(b.edges ? [`edges: ${b.edges.inRotation.join(', ') || 'none'} in rotation${b.edges.out.length ? `, ${b.edges.out.join(', ')} out` : ''}`] : [])];
    out += `\nBalancer ${b.host}: ${b.word}; link ${b.link}; ${duties.join('; ')}\n`;
  }
  if (t.edges.length > 0) {
    out += `\nEdges (public name ${t.publicName ?? 'not set'})\n`;
    out += table(['  EDGE', 'STATE', 'LINK', 'ROTATION', 'SERVED', 'FAILED', 'CERT'], t.edges.map((e) => [`  ${e.host}`, e.word, e.link, e.inRotation === null ? '-' : e.inRotation ? 'in' : 'OUT', e.served ?? '-', e.failed ?? '-', day(e.certNotAfter)]));
  }
  if (t.problems.length === 0) return `${out}\nNo problems.\n`;
  out += `\nProblems (${t.problems.length})\n`;
  for (const p of t.problems) out += `${p.severity.toUpperCase().padEnd(8)} ${p.node}: ${safe(p.text)}${p.command ? `\n         fix: ${p.command}` : ''}\n`;
  return out;
}

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  cli.command(
    program,
    'topology',
    'everything Bulwark runs and how it is doing, with the problems and their fixes; exits 1 while a problem stands',
    { json, dot: flag('print Graphviz (dot) instead of text') },
    async (o, cmd) => {
      const t = await client(cmd).call('topology.get', {});
      if (o.json) cli.json(t);
      else if (o.dot) io.out(graphToDot(topologyGraph(t)));
      else io.out(formatTopology(t));
      return t.problems.some((p) => p.severity !== 'info') ? 1 : 0;
    },
  );
}
