// The newest provisioning runs, each a link to its page: who started it, when, on which hosts,
// and how it ended. Read again whenever a run starts or ends.
import { NavLink } from 'react-router';
import type { ProvisionRunSummary } from '../../../src-main/contract/index.js';
import { pathOf } from '../../routes/routes.js';
import { useApp } from '../../stores/app-store.js';
import { useProvision } from '../../stores/provision-store.js';
import { ago } from '../format.js';
import { usePolled } from '../use-polled.js';

function outcome(r: ProvisionRunSummary): { text: string; cls: string } {
  if (r.state === 'running') return { text: 'running', cls: '' };
  if (r.state === 'interrupted') return { text: 'interrupted', cls: 'warning-text' };
  if (r.ok) return { text: 'ok', cls: 'ok-text' };
  const failed = Object.values(r.outcomes ?? {}).filter((o) => o === 'failed').length;
  return { text: failed ? `${failed} failed` : 'stopped', cls: 'danger-text' };
}

export function RecentRuns() {
  const api = useApp((s) => s.api)!;
  // A run that starts or ends here (or is seen on the stream) changes the list.
  const runKey = useProvision((s) => `${s.run?.id ?? ''}:${s.run?.state ?? ''}`);
  const runs = usePolled(() => api.call('provision.runs', { limit: 10 }), 30_000, [api, runKey]);
  if (!runs.value?.length) return null;
  return (
    <section data-testid="recent-runs">
      <h3>Recent runs</h3>
      <table className="table">
        <thead><tr><th>Run</th><th>Started</th><th>By</th><th>Hosts</th><th>Result</th></tr></thead>
        <tbody>
          {runs.value.map((r) => {
            const o = outcome(r);
            return (
              <tr key={r.id} data-testid="recent-run" data-run={r.id}>
                <td className="mono"><NavLink to={pathOf({ kind: 'run', id: r.id })}>{r.id.length > 16 ? `${r.id.slice(0, 16)}…` : r.id}</NavLink></td>
                <td title={r.startedAt}>{ago(r.startedAt)}</td>
                <td>{r.actor}</td>
                <td>{r.hosts.join(', ')}</td>
                <td className={o.cls} data-testid="recent-run-result">{o.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
