// The newest provisioning runs, read back from the audit trail: who started each, on which
// hosts, and how it ended. A run with no provision.finished that is not under way now never
// finished (Core stopped during it): "interrupted", never "running" forever.
import { ProvisionFinishedDetails, ProvisionStartedDetails, type ProvisionRunSummary } from '../contract/index.js';
import type { Tx } from '../store/db.js';

interface Row {
  time: string;
  actor: string;
  details: string;
}

export function recentRuns(tx: Tx, q: { limit: number; run?: string | undefined }, running: ReadonlySet<string>): ProvisionRunSummary[] {
  const started =
    q.run === undefined
      ? tx.all<Row>("SELECT time, actor, details FROM events WHERE kind = 'provision.started' ORDER BY id DESC LIMIT ?", q.limit)
      : tx.all<Row>("SELECT time, actor, details FROM events WHERE kind GLOB 'provision.*' AND json_extract(details, '$.run') = ? AND kind = 'provision.started'", q.run);
  return started.flatMap((row) => {
    const s = ProvisionStartedDetails.safeParse(JSON.parse(row.details));
    if (!s.success) return [];
    const end = tx.get<Row>(
      "SELECT time, actor, details FROM events WHERE kind GLOB 'provision.*' AND json_extract(details, '$.run') = ? AND kind = 'provision.finished' ORDER BY id DESC LIMIT 1",
      s.data.run,
    );
    const f = end ? ProvisionFinishedDetails.safeParse(JSON.parse(end.details)) : null;
    const finished = f?.success ? f.data : null;
    return [
      {
        id: s.data.run,
        actor: row.actor,
        startedAt: row.time,
        hosts: s.data.hosts,
        state: finished ? 'finished' : running.has(s.data.run) ? 'running' : 'interrupted',
        ok: finished ? finished.ok : null,
        finishedAt: finished ? end!.time : null,
        outcomes: finished ? finished.outcomes : null,
      },
    ];
  });
}
