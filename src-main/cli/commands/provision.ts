// `bulwark provision plan|apply`. Apply follows its own run's
// events: on a terminal, a live block with one line per host; otherwise one line per step.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import {
  ProvisionStepDetails,
  ProvisionStartedDetails,
  ProvisionWaveDetails,
  type HostApplyResult,
  type HostPlan,
  type ProvisionApplyOutput,
  type ProvisionRunSummary,
  type Rollout,
  type StepFailure,
} from '../../contract/index.js';
import { formatBytes } from '../../text/bytes.js';
import { formatAge } from '../../text/duration.js';
import { client } from '../client.js';
import type { Cli } from '../command.js';
import { safe, table } from '../format.js';
import { ApplyProgress } from '../apply-progress.js';
import { flag, json, parsed, text, wholeNumber } from '../options.js';

/** How much of a diff the plan prints; --json carries all of it. */
const DIFF_LINES_SHOWN = 40;

function diffHead(diff: string): string[] {
  const lines = diff.split('\n');
  if (lines.length <= DIFF_LINES_SHOWN) return lines;
  return [...lines.slice(0, DIFF_LINES_SHOWN), `… ${lines.length - DIFF_LINES_SHOWN} more lines (--json shows them)`];
}

function formatPlan(hosts: HostPlan[]): string {
  const out: string[] = [];
  for (const h of hosts) {
    const roles = h.roles.length ? ` (${h.roles.join(', ')})` : '';
    if (h.status === 'error') {
      out.push(`${safe(h.host)}${roles}: cannot plan: ${safe(h.error?.message)}`);
      continue;
    }
    if (h.status === 'up_to_date') {
      out.push(`${safe(h.host)}${roles}: up to date`);
      continue;
    }
    out.push(`${safe(h.host)}${roles}: ${h.files.length} file${h.files.length === 1 ? '' : 's'}, ${h.units.length} unit${h.units.length === 1 ? '' : 's'} to change`);
    const mark = { add: '+', change: '~', remove: '-' } as const;
    const width = Math.max(...h.files.map((f) => f.path.length));
    for (const f of h.files) {
      const size = f.size === null ? 'made at apply' : formatBytes(f.size);
      const what = f.action === 'remove' ? 'remove' : `${f.action} ${f.kind}, ${size}${f.secret ? ', secret: not shown' : ''}`;
      out.push(`  ${mark[f.action]} ${safe(f.path).padEnd(width)}  ${what}`);
      if (f.diff && f.action === 'change') out.push(...diffHead(f.diff).map((l) => `      ${safe(l)}`));
    }
    for (const u of h.units) out.push(`  ${u.action} ${safe(u.unit)}`);
  }
  return `${out.join('\n')}\n`;
}

/** The rollout: each wave with its hosts, who hands over to whom, what is drained; warnings and outages. */
export function formatRollout(r: Rollout): string {
  if (r.waves.length === 0) return '';
  const out = [r.order === 'rolling' ? 'Order (rolling: each failover location keeps serving):' : 'Order (all at once):'];
  for (const w of r.waves) {
    const hosts = w.hosts.map((h) => {
      const what = [
        ...h.handovers.map((x) => `hands ${safe(x.location)}'s floating IP to ${x.to.length ? x.to.map(safe).join(' or ') : 'nobody ready'}`),
        ...h.drains.map((d) => `out of ${safe(d.balancer)}'s rotation for ${safe(d.location)} meanwhile`),
      ];
      return `${safe(h.host)}${what.length ? ` (${what.join('; ')})` : ''}`;
    });
    out.push(`  wave ${w.index + 1}: ${hosts.join(', ')}`);
  }
  for (const n of r.warnings) out.push(`  note: ${safe(n.message)}`);
  for (const n of r.outages) out.push(`  OUTAGE: ${safe(n.message)}`);
  if (r.outages.length) out.push('  An apply refuses this without --allow-outage.');
  return `${out.join('\n')}\n`;
}

function formatFailure(host: string, f: StepFailure): string {
  const lines = [`${safe(host)}: failed at ${f.step}: ${f.message.split('\n').map(safe).join('\n  ')}`];
  if (f.command) lines.push(`  command:   ${safe(f.command)}`);
  if (f.exitCode !== null) lines.push(`  exit code: ${f.exitCode}`);
  if (f.output.length) lines.push('  output (last lines):', ...f.output.map((l) => `    ${safe(l)}`));
  return `${lines.join('\n')}\n`;
}

function outcomeText(r: HostApplyResult): string {
  if (r.outcome === 'up_to_date') return 'up to date';
  if (r.outcome === 'skipped') return 'not changed (rollout stopped)';
  if (r.outcome === 'applied') {
    const units = r.units.map((u) => `${u.action} ${u.unit}`).join(', ');
    return `applied: ${r.changedFiles} file${r.changedFiles === 1 ? '' : 's'}${units ? `; ${units}` : ''}`;
  }
  return `FAILED at ${r.failure?.step ?? '?'}${r.rolledBack ? ', rolled back' : ''}`;
}

function formatResult(r: ProvisionApplyOutput): string {
  const rows = r.hosts.map((h) => [h.host, outcomeText(h), `${(h.durationMs / 1000).toFixed(1)} s`]);
  let text = table(['HOST', 'RESULT', 'TIME'], rows);
  for (const h of r.hosts) if (h.failure) text += `\n${formatFailure(h.host, h.failure)}`;
  for (const s of r.stopped) {
    text += `\nThe rollout of location ${safe(s.location)} stopped: ${safe(s.message)}.${s.kept.length ? ` ${s.kept.map(safe).join(', ')} kept the old version.` : ''}${s.kept.length ? ' The location keeps serving from them.' : ` No gateway of it kept the old version: see "bulwark status --location ${safe(s.location)}".`} Fix ${safe(s.host)}, then run "bulwark provision apply --location ${safe(s.location)}" to resume: hosts already changed are up to date.\n`;
  }
  const failed = r.hosts.filter((h) => h.outcome === 'failed').length;
  const upToDate = r.hosts.every((h) => h.outcome === 'up_to_date');
  text += `\n${failed ? `${failed} of ${r.hosts.length} host${r.hosts.length === 1 ? '' : 's'} failed` : upToDate ? 'Everything is up to date; nothing was touched.' : 'Done.'} (${(r.durationMs / 1000).toFixed(1)} s)\n`;
  return text;
}

const scope = {
  location: text('<name>', 'only the gateways of this location'),
  host: text('<name>', 'only this host'),
};

export function register(program: Command, cli: Cli): void {
  const { io } = cli;
  const provision = program.command('provision').description('install and update agents on hosts over SSH: plan, then apply');

  const runsOptions = { limit: wholeNumber('<n>', 'how many of the newest runs to show (at most 100)', 1, 10), json };
  cli.command(provision, 'runs', 'the newest provisioning runs: who started each, when, on which hosts, and how it ended', runsOptions, async (o, cmd) => {
    const runs = await client(cmd).call('provision.runs', { limit: Math.min(o.limit, 100) });
    if (o.json) return cli.json(runs);
    if (runs.length === 0) return io.out('No provisioning run yet.\n');
    const result = (r: ProvisionRunSummary) => {
      if (r.state !== 'finished') return r.state;
      const failed = Object.entries(r.outcomes ?? {}).filter(([, v]) => v === 'failed').map(([h]) => h);
      return r.ok ? 'ok' : failed.length ? `failed: ${failed.join(', ')}` : 'stopped before any change';
    };
    io.out(table(['RUN', 'STARTED', 'BY', 'HOSTS', 'RESULT'], runs.map((r) => [r.id, `${formatAge(Date.now() - Date.parse(r.startedAt))} ago`, r.actor, r.hosts.join(','), result(r)])));
  });

  const planOptions = { ...scope, restart: flag('plan to restart every Bulwark unit in scope even where nothing changed, as apply --restart would'), json };
  cli.command(provision, 'plan', 'show, per host, the files, units and restarts an apply would make, and the order it would make them in', planOptions, async (o, cmd) => {
    const r = await client(cmd).call('provision.plan', { location: o.location, host: o.host, restart: o.restart ?? false });
    if (o.json) return cli.json(r);
    io.out(formatPlan(r.hosts));
    const order = formatRollout(r.rollout);
    if (order) io.out(`\n${order}`);
    if (r.hosts.some((h) => h.status === 'error')) return 1;
  });

  const applyOptions = {
    ...scope,
    installPackages: flag('install missing packages (wireguard-tools, wireguard-go) with apt-get'),
    parallel: parsed('<n>', 'hosts at a time (1-32, default 8)', (v) => Number(v)),
    restart: flag('restart every Bulwark unit in scope even where nothing changed (after a package upgrade), in the rolling order'),
    allAtOnce: flag('change every host at once instead of one gateway at a time per failover location (an outage for a live location; needs --allow-outage)'),
    allowOutage: flag('go ahead although a location would lose service (no ready standby, or --all-at-once)'),
    json: flag('print the result as JSON'),
  };
  cli.command(provision, 'apply', 'preflight, upload, move into place, restart what changed and verify health; a failed host is rolled back', applyOptions, async (o, cmd) => {
    const c = client(cmd);
    const runId = randomUUID();
    const progress = new ApplyProgress(io, cli.live);
    const [newest] = await c.call('events.list', { newest: true, limit: 1 });
    const sub = o.json
      ? null
      : await c.subscribe((m) => {
          if (m.type !== 'event') return;
          if (m.event.kind === 'provision.started') {
            const started = ProvisionStartedDetails.safeParse(m.event.details);
            if (started.success && started.data.run === runId) progress.start(started.data.hosts);
            return;
          }
          if (m.event.kind === 'provision.wave') {
            const wave = ProvisionWaveDetails.safeParse(m.event.details);
            if (wave.success && wave.data.run === runId && wave.data.of > 1) progress.wave(wave.data);
            return;
          }
          if (m.event.kind !== 'provision.step') return;
          const details = ProvisionStepDetails.safeParse(m.event.details);
          if (details.success && details.data.run === runId) progress.update(details.data);
        }, newest?.id ?? 0);
    try {
      const r = await c.call('provision.apply', {
        location: o.location,
        host: o.host,
        runId,
        installPackages: o.installPackages ?? false,
        ...(o.parallel === undefined ? {} : { parallel: o.parallel }),
        restart: o.restart ?? false,
        order: o.allAtOnce ? 'all_at_once' : 'rolling',
        allowOutage: o.allowOutage ?? false,
      });
      if (o.json) cli.json(r);
      else io.out(`\n${formatResult(r)}`);
      if (!r.ok) return 1;
    } finally {
      sub?.close();
    }
  });
}
