// Every problem the topology shows, the worst first: what is wrong, the node it concerns (a click
// selects it on the map), the command that fixes it, and a button where the UI can do it.
import { useState } from 'react';
import type { TopologyProblem } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { useTopology } from '../../stores/topology-store.js';

export function FixButton({ problem }: { problem: TopologyProblem }) {
  const api = useApp((s) => s.api);
  const go = useApp((s) => s.go);
  const select = useTopology((s) => s.select);
  const [state, setState] = useState<string | null>(null);
  const a = problem.action;
  if (!a || !api) return null;
  const run = async (): Promise<void> => {
    switch (a.kind) {
      case 'plan':
        return go({ kind: 'provisioning' });
      case 'checkHost':
        return go({ kind: 'hosts' });
      case 'lockouts':
        return select('core');
      case 'release':
        setState('releasing…');
        try {
          await api.call('locations.lbRelease', { name: a.location, gateway: a.host });
          setState('released');
        } catch (err) {
          setState((err as Error).message);
        }
    }
  };
  const label = { plan: 'Plan an apply', checkHost: 'Check the host', lockouts: 'Show lockouts', release: 'Put back in rotation' }[a.kind];
  return (
    <span className="fix">
      <button type="button" onClick={() => void run()} data-testid={`fix-${problem.id}`}>
        {label}
      </button>
      {state ? <span className="fix-state">{state}</span> : null}
    </span>
  );
}

export function ProblemsPanel({ problems }: { problems: TopologyProblem[] }) {
  const select = useTopology((s) => s.select);
  const selected = useTopology((s) => s.selected);
  return (
    <section className="problems-panel" aria-label="Problems" data-testid="problems-panel">
      <h2>{problems.length === 0 ? 'No problems' : `Problems (${problems.length})`}</h2>
      <ul>
        {problems.map((p) => (
          <li key={p.id} className={`problem severity-${p.severity}${selected === p.node ? ' selected' : ''}`} data-testid={`problem-${p.id}`}>
            <button type="button" className="problem-select" onClick={() => select(p.node)} title="show it on the map">
              <span className={`pill severity-${p.severity}`}>{p.severity}</span> <span className="problem-node">{p.node}</span>
              <span className="problem-text">{p.text}</span>
            </button>
            {p.command ? <code className="problem-command">{p.command}</code> : null}
            <FixButton problem={p} />
          </li>
        ))}
      </ul>
    </section>
  );
}
