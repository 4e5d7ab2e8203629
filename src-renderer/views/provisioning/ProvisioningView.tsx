// Plan, then apply: the scope and options, the plan of what each host would get, and the live
// progress of a run. Apply opens only on a current plan with changes (whyNoApply says why not).
import { useApp } from '../../stores/app-store.js';
import { useProvision, whyNoApply, type Scope } from '../../stores/provision-store.js';
import { FormError } from '../form.js';
import { PlanPanel } from './PlanPanel.js';
import { RecentRuns } from './RecentRuns.js';
import { RunPanel } from './RunPanel.js';

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
  const blocked = useProvision(whyNoApply);
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
          <button type="button" className="primary" disabled={blocked !== null} onClick={() => void apply()} data-testid="provision-apply">
            {applying ? 'Applying…' : 'Apply'}
          </button>
          {blocked !== null && !applying ? <span className="muted" data-testid="provision-apply-hint">{blocked}</span> : null}
        </div>
        <FormError message={planError} testid="plan-error" />
        <FormError message={applyError} testid="apply-error" />
      </div>
      <RunPanel />
      <PlanPanel />
      <RecentRuns />
    </section>
  );
}
