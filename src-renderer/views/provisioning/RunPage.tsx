// One provisioning run's page (/provisioning/runs/ID): read back from the audit trail, and kept
// live while it runs; the same view of it as the Provisioning page's.
import { useEffect } from 'react';
import { NavLink } from 'react-router';
import { pathOf } from '../../routes/routes.js';
import { useProvision } from '../../stores/provision-store.js';
import { RunView } from './RunPanel.js';

export function RunPage({ id }: { id: string }) {
  const run = useProvision((s) => (s.viewedId === id ? s.viewed : null));
  const error = useProvision((s) => (s.viewedId === id ? s.viewError : null));
  useEffect(() => void useProvision.getState().openRun(id), [id]);
  return (
    <section className="page" data-testid="run-page">
      <NavLink to={pathOf({ kind: 'provisioning' })} className="back">
        ← Provisioning
      </NavLink>
      <h2>Provisioning run</h2>
      {error ? <p className="form-error" role="alert" data-testid="run-page-error">{error}</p> : run ? <RunView run={run} title={run.hosts.map((h) => h.host).join(', ')} /> : <p className="empty">Loading…</p>}
    </section>
  );
}
