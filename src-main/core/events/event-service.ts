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
    return this.store.read((tx) => {
      if (q.run !== undefined) {
        // The partial index events_run answers this (the GLOB must match its WHERE).
        const rows = tx.all<EventRow>(
          `SELECT * FROM events WHERE kind GLOB 'provision.*' AND json_extract(details, '$.run') = ? AND id > ? ORDER BY id ${q.newest ? 'DESC' : ''} LIMIT ?`,
          q.run,
          q.after,
          q.limit,
        );
        return (q.newest ? rows.reverse() : rows).map(toEvent);
      }
      if (q.newest) {
        const rows = tx.all<EventRow>('SELECT * FROM events WHERE id > ? ORDER BY id DESC LIMIT ?', q.after, q.limit);
        return rows.reverse().map(toEvent);
      }
      return tx.all<EventRow>('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?', q.after, q.limit).map(toEvent);
    });
  }

  lastId(): number {
    return this.store.read((tx) => tx.get<{ id: number | null }>('SELECT max(id) AS id FROM events')?.id ?? 0);
  }
}
