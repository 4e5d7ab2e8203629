// A run's live progress: one card per host with its steps, outcome and failure, the wave under
// way, and where a location's rollout stopped.
import type { HostOutcome } from '../../../src-main/contract/index.js';
import { NavLink } from 'react-router';
import { pathOf } from '../../routes/routes.js';
import { useProvision, type HostProgress, type Run } from '../../stores/provision-store.js';
import { ago } from '../format.js';
import { StepFailureView } from './StepFailureView.js';

const OUTCOME_LABEL: Record<HostOutcome, string> = { applied: 'applied', up_to_date: 'up to date', failed: 'failed', skipped: 'not changed (rollout stopped)' };

function ProgressRow({ p }: { p: HostProgress }) {
  const state = p.outcome ?? (p.status === 'failed' ? 'failing' : 'running');
  return (
    <li
      className={`card wide host-card progress-row progress-${state}`}
      data-testid={`progress-row-${p.host}`}
      data-step={p.step ?? ''}
      data-status={p.status ?? ''}
      data-outcome={p.outcome ?? ''}
    >
      <header className="host-card-head">
        <strong>{p.host}</strong>
        <span data-testid={`progress-step-${p.host}`}>
          {p.step ? (
            <>
              <span className="mono">{p.step}</span> <span className={`step-status step-${p.status}`}>{p.status}</span>
            </>
          ) : (
            'waiting'
          )}
        </span>
        {p.outcome ? (
          <span className={`badge badge-${p.outcome}`} data-testid={`progress-outcome-${p.host}`}>
            {OUTCOME_LABEL[p.outcome]}
          </span>
        ) : null}
      </header>
      {p.message ? <p className="progress-message pre-line" data-testid={`progress-message-${p.host}`}>{p.message}</p> : null}
      <ol className="steps">
        {p.steps.map((s) => (
          <li key={s.step} className={`step-${s.status}`}>
            {s.step}
          </li>
        ))}
      </ol>
      {p.outcome === 'applied' && p.changedFiles !== null ? (
        <p className="muted">
          {p.changedFiles} file{p.changedFiles === 1 ? '' : 's'} changed{p.durationMs !== null ? ` in ${(p.durationMs / 1000).toFixed(1)} s` : ''}.
        </p>
      ) : null}
      {p.outcome === 'failed' && p.failure ? <StepFailureView failure={p.failure} testid={`progress-failure-${p.host}`} /> : null}
      {p.outcome === 'failed' ? (
        <p className="muted" data-testid={`progress-rollback-${p.host}`}>
          {p.rolledBack ? 'The host was rolled back to its previous files and units.' : 'The host was not rolled back (nothing had been changed yet, or see the message).'}
        </p>
      ) : null}
    </li>
  );
}

function RunSummary({ run }: { run: Run }) {
  const who = run.mine ? 'this window' : (run.actor ?? 'someone else');
  const failed = run.hosts.filter((h) => h.outcome === 'failed').length;
  return (
    <p className="run-summary" data-testid="provision-run-summary">
      Run{' '}
      <NavLink to={pathOf({ kind: 'run', id: run.id })} className="mono" data-testid="provision-run-link">
        {run.id}
      </NavLink>
      , started by {who}
      {run.startedAt ? <span title={run.startedAt}> {ago(run.startedAt)}</span> : null}:{' '}
      {run.state === 'running' ? (
        <span>running…</span>
      ) : run.state === 'interrupted' ? (
        <span className="warning-text">it never finished: Core stopped during it. Plan again to see where the hosts are.</span>
      ) : run.ok ? (
        <span className="ok-text">done: every host is applied or up to date{run.durationMs !== null ? ` (${(run.durationMs / 1000).toFixed(1)} s)` : ''}.</span>
      ) : failed > 0 ? (
        <span className="form-error">{failed} host{failed === 1 ? '' : 's'} failed.</span>
      ) : (
        <span className="form-error">stopped before it changed any host.</span>
      )}
    </p>
  );
}

/** A run's progress and outcome; the live run on the Provisioning page, or any run on its own page. */
export function RunView({ run, title }: { run: Run; title: string }) {
  return (
    <section data-testid="provision-run" data-run={run.id} data-state={run.state}>
      <h3>{title}</h3>
      <RunSummary run={run} />
      {run.wave ? (
        <p data-testid="provision-run-wave">
          Wave {run.wave.index + 1} of {run.wave.of} {run.wave.status === 'started' ? 'under way' : 'done'}: <span className="mono">{run.wave.hosts.join(', ')}</span>
        </p>
      ) : null}
      {run.stopped.map((s) => (
        <p key={s.location} className="form-error" data-testid="provision-run-stopped">
          The rollout of location {s.location} stopped: {s.message}. {s.kept.length ? `${s.kept.join(', ')} kept the old version, so the location keeps serving from them.` : 'No gateway of it kept the old version: see its page.'} Fix {s.host},
          then apply again to resume.
        </p>
      ))}
      {run.hosts.length === 0 ? <p className="empty">Waiting for Core to start the run…</p> : null}
      <ol className="progress">
        {run.hosts.map((p) => (
          <ProgressRow key={p.host} p={p} />
        ))}
      </ol>
    </section>
  );
}

export function RunPanel() {
  const run = useProvision((s) => s.run);
  return run ? <RunView run={run} title="Apply" /> : null;
}
