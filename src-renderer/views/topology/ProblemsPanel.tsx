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

function ProblemItem({ p, selected }: { p: TopologyProblem; selected: boolean }) {
  const select = useTopology((s) => s.select);
  return (
    <li className={`problem severity-${p.severity}${selected ? ' selected' : ''}`} data-testid={`problem-${p.id}`}>
      <button type="button" className="problem-select" onClick={() => select(p.node)} title="show it on the map">
        <span className={`pill severity-${p.severity}`}>{p.severity}</span> <span className="problem-node">{p.node}</span>
        <span className="problem-text">{p.text}</span>
      </button>
      {p.command ? <code className="problem-command">{p.command}</code> : null}
      <FixButton problem={p} />
    </li>
  );
}

/** Notes shown before "show all": a fleet waiting for an apply has one per agent. */
const NOTES_SHOWN = 20;

/**
 * Critical problems and warnings, each in full; notes (information: an agent waiting for an
 * apply, an older agent) folded under their count, since a fleet after an upgrade has hundreds
 * and they would bury what is wrong. Folded notes are not drawn at all.
 */
export function ProblemsPanel({ problems }: { problems: TopologyProblem[] }) {
  const selected = useTopology((s) => s.selected);
  const [notesOpen, setNotesOpen] = useState(false);
  const [allNotes, setAllNotes] = useState(false);
  const wrong = problems.filter((p) => p.severity !== 'info');
  const notes = problems.filter((p) => p.severity === 'info');
  const shownNotes = allNotes ? notes : notes.slice(0, NOTES_SHOWN);
  return (
    <section className="problems-panel" aria-label="Problems" data-testid="problems-panel">
      <h2>{wrong.length === 0 ? 'No problems' : `Problems (${wrong.length})`}</h2>
      {wrong.length > 0 ? (
        <ul>
          {wrong.map((p) => (
            <ProblemItem key={p.id} p={p} selected={selected === p.node} />
          ))}
        </ul>
      ) : null}
      {notes.length > 0 ? (
        <div className="problem-notes">
          <button type="button" className="link" onClick={() => setNotesOpen(!notesOpen)} aria-expanded={notesOpen} data-testid="problem-notes-toggle">
            {notesOpen ? '▾' : '▸'} {notes.length} {notes.length === 1 ? 'note' : 'notes'} (nothing wrong: changes waiting for an apply, older agents)
          </button>
          {notesOpen ? (
            <ul>
              {shownNotes.map((p) => (
                <ProblemItem key={p.id} p={p} selected={selected === p.node} />
              ))}
              {shownNotes.length < notes.length ? (
                <li>
                  <button type="button" className="link" onClick={() => setAllNotes(true)}>
                    show all {notes.length}
                  </button>
                </li>
              ) : null}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
