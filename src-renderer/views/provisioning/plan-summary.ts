// What a plan amounts to, in one line and per host: counts the page shows above the details. Pure.
import type { HostPlan } from '../../../src-main/contract/index.js';

export interface PlanTotals {
  /** Hosts with something to change. */
  changing: number;
  upToDate: number;
  /** Hosts that could not be inspected. */
  errors: number;
  files: number;
  units: number;
}

export function planTotals(hosts: HostPlan[]): PlanTotals {
  const changing = hosts.filter((h) => h.status === 'changes');
  return {
    changing: changing.length,
    upToDate: hosts.filter((h) => h.status === 'up_to_date').length,
    errors: hosts.filter((h) => h.status === 'error').length,
    files: changing.reduce((n, h) => n + h.files.length, 0),
    units: changing.reduce((n, h) => n + h.units.length, 0),
  };
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 hosts to change (18 files, 3 units), 1 up to date, 1 cannot be planned." */
export function planSentence(t: PlanTotals): string {
  const parts: string[] = [];
  if (t.changing > 0) parts.push(`${count(t.changing, 'host')} to change (${count(t.files, 'file')}, ${count(t.units, 'unit')})`);
  if (t.upToDate > 0) parts.push(t.changing === 0 && t.errors === 0 ? `every host is up to date (${t.upToDate})` : `${t.upToDate} up to date`);
  if (t.errors > 0) parts.push(`${t.errors} cannot be planned`);
  const text = parts.length ? parts.join(', ') : 'no host in this scope has a role yet';
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** One host's change in a few words: "3 added, 2 changed, 1 removed; restart bulwark-gateway.service". */
export function hostGist(h: HostPlan): string {
  if (h.status === 'up_to_date') return 'nothing to change';
  if (h.status === 'error') return 'cannot be planned';
  const by = (a: HostPlan['files'][number]['action']) => h.files.filter((f) => f.action === a).length;
  const files = [
    [by('add'), 'added'],
    [by('change'), 'changed'],
    [by('remove'), 'removed'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${n} ${what}`);
  const units = h.units.map((u) => `${u.action} ${u.unit}`);
  return [files.length ? `files: ${files.join(', ')}` : '', units.join(', ')].filter(Boolean).join('; ');
}
