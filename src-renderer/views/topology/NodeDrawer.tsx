// The selected node's drawer: its facts, its problems with their fixes, its recent events, and
// for a location its failover timeline (as the gateways measured it) with a drill button.
import { useEffect, useState } from 'react';
import type { CoreEvent, FailoverRecord, Topology, TopologyProblem } from '../../../src-main/contract/index.js';
import { formatDuration } from '../../../src-main/text/duration.js';
import { useApp } from '../../stores/app-store.js';
import { useTopology } from '../../stores/topology-store.js';
import { EdgesPanel } from '../EdgesPanel.js';
import { FixButton } from './ProblemsPanel.js';

type Facts = [string, string | number | null][];
const ms = (v: number | null) => (v === null ? '-' : formatDuration(v));
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

/** The facts of a node, and the names its events carry (a host or a location). */
function describe(t: Topology, id: string): { title: string; facts: Facts; names: string[]; location: string | null } | null {
  if (id === 'core') return { title: 'Core', facts: [['version', t.core.version], ['up', formatDuration(t.core.uptimeS * 1000)], ['CA until', day(t.core.caNotAfter)], ['certificate until', day(t.core.certNotAfter)], ['public name', t.publicName ?? 'not set'], ['lockouts', t.lockouts]], names: [], location: null };
  const loc = t.locations.find((l) => l.id === id || `devices:${l.name}` === id);
  if (loc) {
    const f = loc.failover;
    return {
      title: `Location ${loc.name}`,
      facts: [['state', loc.word], ['network', loc.network], ['endpoint', loc.endpoint], ['failover', f.mode], ...(f.mode === 'vrrp' ? ([['floating IP', f.vip], ['held by', f.holders.join(', ') || 'nobody']] as Facts) : []), ...(f.mode === 'lb' ? ([['balancer', f.balancer], ['in rotation', f.inRotation ?? '?']] as Facts) : []), ['gateways', loc.gateways.join(', ') || 'none'], ['devices', loc.devices], ['active (3 min)', loc.activePeers], ...(loc.sessions === null ? [] : ([['MFA sessions', loc.sessions]] as Facts))],
      names: [loc.name],
      location: loc.name,
    };
  }
  const agent = [...t.gateways, ...t.balancers, ...t.edges].find((a) => a.id === id);
  if (!agent) return null;
  const facts: Facts = [['state', agent.word], ['link', `${agent.link}${agent.since ? ` since ${agent.since}` : ''}`], ...(agent.reason ? ([['why', agent.reason]] as Facts) : []), ['agent', agent.version], ['config', agent.config], ['certificate until', day(agent.certNotAfter)]];
  if ('locations' in agent && 'healthy' in agent) {
    facts.push(['WireGuard', `${agent.healthy === null ? '-' : agent.healthy ? 'healthy' : 'UNHEALTHY'} (${agent.wireguardMode ?? '-'})`]);
    for (const l of agent.locations) facts.push([l.location, [l.role?.toLowerCase(), l.holdsVip ? 'holds the floating IP' : null, l.inRotation === null ? null : l.inRotation ? 'in rotation' : 'OUT of rotation', `${l.peers ?? '-'} peers, ${l.activePeers} active`].filter(Boolean).join(', ')]);
  }
  if ('ready' in agent) facts.push(['ready', agent.ready === null ? '-' : agent.ready ? 'yes' : `no: ${agent.notReady ?? ''}`], ['served / failed', `${agent.served ?? '-'} / ${agent.failed ?? '-'}`]);
  return { title: `${agent.role} ${agent.host}`, facts, names: [agent.host], location: null };
}

function FailoverTimeline({ location }: { location: string }) {
  const api = useApp((s) => s.api);
  const revision = useTopology((s) => s.topology?.locations.find((l) => l.name === location)?.lastFailover?.id ?? 0);
  const [history, setHistory] = useState<FailoverRecord[] | null>(null);
  const [drill, setDrill] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  useEffect(() => {
    void api?.call('failover.history', { location, limit: 10 }).then(setHistory, () => setHistory([]));
  }, [api, location, revision]);
  const run = async () => {
    if (!api) return;
    setRunning(true);
    setDrill('drill running: the master gives up the floating IP…');
    try {
      const d = await api.call('failover.drill', { location });
      setDrill(`drill done: ${d.to} took over from ${d.from}; ${d.record.back} of ${d.record.clients} clients back, slowest ${ms(d.record.slowestMs)}`);
    } catch (err) {
      // Refused before anything moved (no ready standby, one running), or failed on the way: Core's words say which.
      setDrill(`drill not done: ${(err as Error).message}`);
    } finally {
      setRunning(false);
    }
  };
  return (
    <section className="timeline" data-testid="failover-timeline">
      <h3>Failovers</h3>
      {history === null ? <p>loading…</p> : history.length === 0 ? <p>None recorded yet.</p> : null}
      <ol>
        {(history ?? []).map((r) => (
          <li key={r.id} data-testid={`failover-${r.id}`}>
            <time>{r.tookAt.replace('T', ' ').slice(0, 19)}</time> {r.previous ?? '?'} → <strong>{r.gateway}</strong> {r.drill ? <span className="pill">drill</span> : null}
            <div>
              {r.back} of {r.clients} clients back · median {ms(r.medianMs)} · slowest {ms(r.slowestMs)}
              {r.missing.length > 0 ? ` · not back: ${r.missing.map((m) => m.device ?? m.publicKey.slice(0, 8)).join(', ')}` : ''}
            </div>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => void run()} disabled={running} data-testid="drill">
        Drill: move the floating IP now
      </button>
      {drill ? <p className="drill-state">{drill}</p> : null}
    </section>
  );
}

function RecentEvents({ names }: { names: string[] }) {
  const api = useApp((s) => s.api);
  const last = useApp((s) => s.lastEventId);
  const [events, setEvents] = useState<CoreEvent[]>([]);
  useEffect(() => {
    void api?.call('events.list', { limit: 300, newest: true }).then(
      (all) => setEvents(all.filter((e) => names.some((n) => e.subject.endsWith(`:${n}`) || Object.values(e.details).includes(n))).slice(-12).reverse()),
      () => setEvents([]),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, last, names.join()]);
  return (
    <section>
      <h3>Recent events</h3>
      {events.length === 0 ? <p>None.</p> : null}
      <ul className="drawer-events">
        {events.map((e) => (
          <li key={e.id}>
            <time>{e.time.slice(11, 19)}</time> {e.kind}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function NodeDrawer({ topology, id }: { topology: Topology; id: string }) {
  const select = useTopology((s) => s.select);
  const go = useApp((s) => s.go);
  const d = describe(topology, id);
  if (!d) return null;
  const problems: TopologyProblem[] = topology.problems.filter((p) => p.node === id);
  return (
    <aside className="drawer" aria-label={d.title} data-testid="drawer">
      <header>
        <h2>{d.title}</h2>
        <button type="button" onClick={() => select(null)} aria-label="close">
          ×
        </button>
      </header>
      <dl className="facts">
        {d.facts.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v ?? '-'}</dd>
          </div>
        ))}
      </dl>
      {d.location ? (
        <button type="button" onClick={() => go({ kind: 'location', name: d.location! })}>
          Open the location's page
        </button>
      ) : null}
      {problems.map((p) => (
        <div key={p.id} className={`problem severity-${p.severity}`}>
          <span className={`pill severity-${p.severity}`}>{p.severity}</span> {p.text} {p.command ? <code>{p.command}</code> : null} <FixButton problem={p} />
        </div>
      ))}
      {d.location && topology.locations.find((l) => l.name === d.location)?.failover.mode === 'vrrp' ? <FailoverTimeline location={d.location} /> : null}
      {id === 'core' ? <EdgesPanel /> : null}
      <RecentEvents names={d.names} />
    </aside>
  );
}
