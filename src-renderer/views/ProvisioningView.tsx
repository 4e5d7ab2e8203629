// Plan, then apply: what each host in the scope would get, and the live progress of a run.
import type { FileChange, HostOutcome, HostPlan, StepFailure } from '../../src-main/contract/index.js';
import { RolloutOrder } from './RolloutOrder.js';
import { formatBytes } from '../../src-main/text/bytes.js';
import { useApp } from '../stores/app-store.js';
import { useProvision, type HostProgress, type Run, type Scope } from '../stores/provision-store.js';
import { FormError } from './form.js';

const ACTION_MARK: Record<FileChange['action'], string> = { add: '+', change: '~', remove: '-' };
const OUTCOME_LABEL: Record<HostOutcome, string> = { applied: 'applied', up_to_date: 'up to date', failed: 'failed', skipped: 'not changed (rollout stopped)' };
const PLAN_LABEL: Record<HostPlan['status'], string> = { changes: 'changes', up_to_date: 'up to date', error: 'error' };

function encodeScope(scope: Scope): string {
  return scope.kind === 'all' ? 'all' : `${scope.kind}:${scope.name}`;
}

function decodeScope(value: string): Scope {
  const i = value.indexOf(':');
  const kind = value.slice(0, i);
  const name = value.slice(i + 1);
  return kind === 'location' || kind === 'host' ? { kind, name } : { kind: 'all' };
}

function ScopePicker() {
  const locations = useApp((s) => s.locations);
  const hosts = useApp((s) => s.hosts);
  const scope = useProvision((s) => s.scope);
  const setScope = useProvision((s) => s.setScope);
  return (
    <label className="field">
      <span className="field-label">Scope</span>
      <select data-testid="provision-scope" value={encodeScope(scope)} onChange={(e) => setScope(decodeScope(e.target.value))}>
        <option value="all">Every host with a role</option>
        {locations.length ? (
          <optgroup label="The gateways of a location">
            {locations.map((l) => (
              <option key={l.name} value={`location:${l.name}`}>
                {l.name}
              </option>
            ))}
          </optgroup>
        ) : null}
        {hosts.length ? (
          <optgroup label="One host">
            {hosts.map((h) => (
              <option key={h.name} value={`host:${h.name}`}>
                {h.name}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </label>
  );
}

function Diff({ text }: { text: string }) {
  return (
    <pre className="diff">
      {text.split('\n').map((line, i) => {
        const cls = /^(\+\+\+|---) /.test(line) ? 'diff-file' : line.startsWith('@@') ? 'diff-hunk' : line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : '';
        return (
          <span key={i} className={cls}>
            {line}
            {'\n'}
          </span>
        );
      })}
    </pre>
  );
}

export function StepFailureView({ failure, testid }: { failure: StepFailure; testid: string }) {
  return (
    <div className="failure" data-testid={testid}>
      <dl className="facts">
        <dt>Step</dt>
        <dd data-testid={`${testid}-step`}>{failure.step}</dd>
        <dt>Message</dt>
        <dd className="pre-line" data-testid={`${testid}-message`}>{failure.message}</dd>
        {failure.command !== null ? (
          <>
            <dt>Command</dt>
            <dd className="mono" data-testid={`${testid}-command`}>{failure.command}</dd>
          </>
        ) : null}
        {failure.exitCode !== null ? (
          <>
            <dt>Exit code</dt>
            <dd data-testid={`${testid}-exit-code`}>{failure.exitCode}</dd>
          </>
        ) : null}
      </dl>
      {failure.output.length ? (
        <pre className="output" data-testid={`${testid}-output`}>
          {failure.output.join('\n')}
        </pre>
      ) : null}
    </div>
  );
}

function FileRows({ file }: { file: FileChange }) {
  return (
    <>
      <tr data-testid="plan-file">
        <td className={`change change-${file.action}`} title={file.action}>{ACTION_MARK[file.action]}</td>
        <td className="mono">{file.path}</td>
        <td>{file.kind}</td>
        <td className="num">{file.action === 'remove' ? '' : formatBytes(file.size)}</td>
      </tr>
      {file.secret ? (
        <tr className="row-note">
          <td />
          <td colSpan={3} className="empty">secret: its content is never shown</td>
        </tr>
      ) : file.diff !== null ? (
        <tr className="row-note">
          <td />
          <td colSpan={3}>
            <Diff text={file.diff} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function HostPlanCard({ plan }: { plan: HostPlan }) {
  return (
    <article className="card wide host-card" data-testid={`plan-host-${plan.host}`}>
      <header className="host-card-head">
        <strong>{plan.host}</strong>
        <span className="muted">{plan.roles.join(', ')}</span>
        <span className={`badge badge-${plan.status}`} data-testid={`plan-status-${plan.host}`}>
          {PLAN_LABEL[plan.status]}
        </span>
      </header>
      {plan.status === 'up_to_date' ? <p className="empty">Nothing to change.</p> : null}
      {plan.error ? <StepFailureView failure={plan.error} testid={`plan-error-${plan.host}`} /> : null}
      {plan.files.length ? (
        <table className="table plan-files">
          <thead><tr><th /><th>File</th><th>Kind</th><th>Size</th></tr></thead>
          <tbody>
            {plan.files.map((f) => (
              <FileRows key={f.path} file={f} />
            ))}
          </tbody>
        </table>
      ) : null}
      {plan.units.length ? (
        <ul className="units" data-testid={`plan-units-${plan.host}`}>
          {plan.units.map((u) => (
            <li key={u.unit}>
              <span className={`unit-action unit-${u.action}`}>{u.action}</span> <span className="mono">{u.unit}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </article>
  );
}

function PlanPanel() {
  const plan = useProvision((s) => s.plan);
  if (!plan) return null;
  return (
    <section data-testid="provision-plan-result">
      <h3>Plan</h3>
      {plan.stale ? <p className="warning-text" data-testid="plan-stale">A run finished after this plan was made; plan again to see the hosts as they are now.</p> : null}
      <RolloutOrder rollout={plan.rollout} />
      {plan.hosts.map((h) => (
        <HostPlanCard key={h.host} plan={h} />
      ))}
    </section>
  );
}

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
      Run <span className="mono">{run.id}</span>, started by {who}:{' '}
      {run.state === 'running' ? (
        <span>running…</span>
      ) : run.ok ? (
        <span className="ok-text">done: every host is applied or up to date{run.durationMs !== null ? ` (${(run.durationMs / 1000).toFixed(1)} s)` : ''}.</span>
      ) : (
        <span className="form-error">{failed} host{failed === 1 ? '' : 's'} failed.</span>
      )}
    </p>
  );
}

function RunPanel() {
  const run = useProvision((s) => s.run);
  if (!run) return null;
  return (
    <section data-testid="provision-run" data-run={run.id} data-state={run.state}>
      <h3>Apply</h3>
      <RunSummary run={run} />
      {run.wave ? (
        <p data-testid="provision-run-wave">
          Wave {run.wave.index + 1} of {run.wave.of} {run.wave.status === 'started' ? 'under way' : 'done'}: <span className="mono">{run.wave.hosts.join(', ')}</span>
        </p>
      ) : null}
      {run.stopped.map((s) => (
        <p key={s.location} className="form-error" data-testid="provision-run-stopped">
          The rollout of location {s.location} stopped: {s.message}. {s.kept.length ? `${s.kept.join(', ')} kept the old version; ` : ''}the location keeps serving. Fix {s.host},
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

export function ProvisioningView() {
  const planning = useProvision((s) => s.planning);
  const applying = useProvision((s) => s.applying);
  const planError = useProvision((s) => s.planError);
  const applyError = useProvision((s) => s.applyError);
  const installPackages = useProvision((s) => s.installPackages);
  const setInstallPackages = useProvision((s) => s.setInstallPackages);
  const restart = useProvision((s) => s.restart);
  const setRestart = useProvision((s) => s.setRestart);
  const allowOutage = useProvision((s) => s.allowOutage);
  const setAllowOutage = useProvision((s) => s.setAllowOutage);
  const makePlan = useProvision((s) => s.makePlan);
  const apply = useProvision((s) => s.apply);
  return (
    <section className="page" data-testid="provisioning-page">
      <h2>Provisioning</h2>
      <p className="empty">
        Plan shows what each host would get and in which order; Apply installs it over SSH, one host-side commit per host that rolls back on failure. Failover
        locations change one gateway at a time, so they keep serving.
      </p>
      <div className="card wide form">
        <ScopePicker />
        <label className="field">
          <span className="field-label">Missing packages</span>
          <span>
            <input type="checkbox" checked={installPackages} onChange={(e) => setInstallPackages(e.target.checked)} data-testid="provision-install-packages" /> install them
            with apt-get instead of stopping at the preflight
          </span>
        </label>
        <label className="field">
          <span className="field-label">Restart</span>
          <span>
            <input type="checkbox" checked={restart} onChange={(e) => setRestart(e.target.checked)} data-testid="provision-restart" /> restart every unit in scope even where
            nothing changed (after a package upgrade), one gateway at a time
          </span>
        </label>
        <label className="field">
          <span className="field-label">Outage</span>
          <span>
            <input type="checkbox" checked={allowOutage} onChange={(e) => setAllowOutage(e.target.checked)} data-testid="provision-allow-outage" /> allow an outage: go ahead
            although a location has no gateway ready to take its clients
          </span>
        </label>
        <div className="actions">
          <button type="button" disabled={planning} onClick={() => void makePlan()} data-testid="provision-plan">
            {planning ? 'Planning…' : 'Plan'}
          </button>
          <button type="button" className="primary" disabled={applying} onClick={() => void apply()} data-testid="provision-apply">
            {applying ? 'Applying…' : 'Apply'}
          </button>
        </div>
        <FormError message={planError} testid="plan-error" />
        <FormError message={applyError} testid="apply-error" />
      </div>
      <RunPanel />
      <PlanPanel />
    </section>
  );
}
