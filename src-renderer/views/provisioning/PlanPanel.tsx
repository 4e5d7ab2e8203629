// The plan: one sentence of totals, the rollout order, then one folded card per host (its gist in
// the header; its files, units and diffs inside). Diffs open per file, so a first install (the CA,
// every config) stays a page to scan, not thousands of lines.
import { useState } from 'react';
import type { FileChange, HostPlan } from '../../../src-main/contract/index.js';
import { formatBytes } from '../../../src-main/text/bytes.js';
import { useProvision } from '../../stores/provision-store.js';
import { Diff } from './Diff.js';
import { hostGist, planSentence, planTotals } from './plan-summary.js';
import { RolloutOrder } from './RolloutOrder.js';
import { StepFailureView } from './StepFailureView.js';

const ACTION_MARK: Record<FileChange['action'], string> = { add: '+', change: '~', remove: '-' };
const PLAN_LABEL: Record<HostPlan['status'], string> = { changes: 'changes', up_to_date: 'up to date', error: 'error' };
const KIND_LABEL: Record<FileChange['kind'], string> = { runtime: 'runtime', program: 'program', certificate: 'certificate', key: 'private key', config: 'config', unit: 'unit' };

function sizeText(file: FileChange): string {
  if (file.action === 'remove') return '';
  return file.size === null ? 'made at apply' : formatBytes(file.size);
}

function FileRows({ file }: { file: FileChange }) {
  const [open, setOpen] = useState(false);
  const lines = file.diff === null ? 0 : file.diff.split('\n').length;
  return (
    <>
      <tr data-testid="plan-file" data-path={file.path}>
        <td className={`change change-${file.action}`} title={file.action}>{ACTION_MARK[file.action]}</td>
        <td className="mono">{file.path}</td>
        <td data-testid="plan-file-kind">{KIND_LABEL[file.kind]}</td>
        <td className="num" data-testid="plan-file-size">{sizeText(file)}</td>
        <td className="actions-cell">
          {file.secret ? (
            <span className="muted">secret, never shown</span>
          ) : file.diff !== null ? (
            <button type="button" className="link-button" data-testid="plan-diff-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'Hide diff' : `Diff (${lines} lines)`}
            </button>
          ) : null}
        </td>
      </tr>
      {open && file.diff !== null ? (
        <tr className="row-note">
          <td />
          <td colSpan={4}>
            <Diff text={file.diff} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function HostPlanCard({ plan, open, onToggle }: { plan: HostPlan; open: boolean; onToggle: (open: boolean) => void }) {
  return (
    <details className="card wide host-card plan-host" data-testid={`plan-host-${plan.host}`} open={open} onToggle={(e) => onToggle((e.currentTarget as HTMLDetailsElement).open)}>
      <summary className="host-card-head" data-testid={`plan-summary-${plan.host}`}>
        <strong>{plan.host}</strong>
        <span className="muted">{plan.roles.join(', ')}</span>
        <span className="plan-gist" data-testid={`plan-gist-${plan.host}`}>{hostGist(plan)}</span>
        <span className={`badge badge-${plan.status}`} data-testid={`plan-status-${plan.host}`}>
          {PLAN_LABEL[plan.status]}
        </span>
      </summary>
      {plan.status === 'up_to_date' ? <p className="empty">Nothing to change.</p> : null}
      {plan.error ? <StepFailureView failure={plan.error} testid={`plan-error-${plan.host}`} /> : null}
      {plan.files.length ? (
        <table className="table plan-files">
          <thead><tr><th /><th>File</th><th>Kind</th><th>Size</th><th /></tr></thead>
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
    </details>
  );
}

/** Hosts unfolded at first: those that failed to plan, and a lone host with changes. */
function initiallyOpen(hosts: HostPlan[]): Set<string> {
  const changing = hosts.filter((h) => h.status === 'changes');
  return new Set([...hosts.filter((h) => h.status === 'error'), ...(changing.length === 1 ? changing : [])].map((h) => h.host));
}

function PlanHosts({ hosts }: { hosts: HostPlan[] }) {
  const [open, setOpen] = useState(() => initiallyOpen(hosts));
  const toggle = (host: string, on: boolean) =>
    setOpen((cur) => {
      if (cur.has(host) === on) return cur;
      const next = new Set(cur);
      if (on) next.add(host);
      else next.delete(host);
      return next;
    });
  return (
    <>
      <div className="actions plan-fold">
        <button type="button" className="link-button" data-testid="plan-expand-all" onClick={() => setOpen(new Set(hosts.map((h) => h.host)))}>
          Expand all
        </button>
        <button type="button" className="link-button" data-testid="plan-collapse-all" onClick={() => setOpen(new Set())}>
          Collapse all
        </button>
      </div>
      {hosts.map((h) => (
        <HostPlanCard key={h.host} plan={h} open={open.has(h.host)} onToggle={(on) => toggle(h.host, on)} />
      ))}
    </>
  );
}

export function PlanPanel() {
  const plan = useProvision((s) => s.plan);
  if (!plan) return null;
  return (
    <section data-testid="provision-plan-result">
      <h3>Plan</h3>
      <p className="plan-sentence" data-testid="plan-summary">{planSentence(planTotals(plan.hosts))}</p>
      {plan.stale ? <p className="warning-text" data-testid="plan-stale">A run finished after this plan was made; plan again to see the hosts as they are now.</p> : null}
      <RolloutOrder rollout={plan.rollout} />
      {/* A new plan is a new set of cards: what was unfolded before does not carry over. */}
      <PlanHosts key={plan.id} hosts={plan.hosts} />
    </section>
  );
}
