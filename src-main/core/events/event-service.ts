import { CoreEvent, type ProcParsedInput } from '../../contract/index.js';
import type { Store } from '../../store/db.js';

interface EventRow {
  id: number;
  time: string;
  actor: string;
  kind: string;
  subject: string;
  details: string;
}

const toEvent = (r: EventRow): CoreEvent => CoreEvent.parse({ ...r, details: JSON.parse(r.details) as unknown });

export class EventService {
  constructor(private readonly store: Store) {}

  list(q: ProcParsedInput<'events.list'>): CoreEvent[] {
    const where = ['id > ?'];
    const params: (string | number)[] = [q.after];
    if (q.run !== undefined) {
      // The partial index events_run answers this (the GLOB must match its WHERE).
      where.push("kind GLOB 'provision.*'", "json_extract(details, '$.run') = ?");
      params.push(q.run);
    }
    if (q.kind !== undefined) {
      // The index events_kind (kind, id).
      where.push('kind = ?');
      params.push(q.kind);
    }
    return this.store.read((tx) => {
      const rows = tx.all<EventRow>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id ${q.newest ? 'DESC' : ''} LIMIT ?`, ...params, q.limit);
      return (q.newest ? rows.reverse() : rows).map(toEvent);
    });
  }

  lastId(): number {
    return this.store.read((tx) => tx.get<{ id: number | null }>('SELECT max(id) AS id FROM events')?.id ?? 0);
  }
}
