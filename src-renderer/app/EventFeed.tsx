import { useApp } from '../stores/app-store.js';

export function EventFeed() {
  const events = useApp((s) => s.events);
  return (
    <aside className="feed" data-testid="event-feed">
      <h3>Events</h3>
      {events.length === 0 ? <p className="empty">Nothing has happened yet.</p> : null}
      <ol>
        {[...events].reverse().map((e) => (
          <li key={e.id} data-testid="event-item">
            <span className="event-kind">{e.kind}</span> <span className="event-subject">{e.subject}</span>
            <div className="event-meta">
              {new Date(e.time).toLocaleTimeString()} · {e.actor}
              {e.origin && e.origin !== 'in-process' ? <span title="how the call reached Core (the actor is what the client says)"> via {e.origin}</span> : null}
            </div>
          </li>
        ))}
      </ol>
    </aside>
  );
}
