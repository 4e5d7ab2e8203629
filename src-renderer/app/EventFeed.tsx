// The feed of what Core records, newest first: each event's kind, subject and gist, who did it
// and when, filtered by group or text. A provisioning step's "started" rows are left out (its
// result follows it); the provisioning page shows a run's progress in full.
import { useState } from 'react';
import { NavLink } from 'react-router';
import { pathOf } from '../routes/routes.js';
import { useApp } from '../stores/app-store.js';
import { gist, groupOf, pageOf, type EventGroup } from './event-text.js';

const GROUPS: [EventGroup | 'all', string][] = [
  ['all', 'Everything'],
  ['changes', 'Changes'],
  ['provisioning', 'Provisioning'],
  ['links', 'Links and failover'],
  ['public', 'Enrollment and MFA'],
];

export function EventFeed() {
  const events = useApp((s) => s.events);
  const [group, setGroup] = useState<EventGroup | 'all'>('all');
  const [text, setText] = useState('');
  const q = text.trim().toLowerCase();
  const shown = [...events]
    .reverse()
    .filter((e) => !(e.kind === 'provision.step' && (e.details as { status?: string }).status === 'started'))
    .filter((e) => group === 'all' || groupOf(e.kind) === group)
    .filter((e) => q === '' || `${e.kind} ${e.subject} ${gist(e) ?? ''} ${e.actor}`.toLowerCase().includes(q));
  return (
    <aside className="feed" data-testid="event-feed">
      <h3>Events</h3>
      <div className="feed-filter">
        <select value={group} onChange={(e) => setGroup(e.target.value as EventGroup | 'all')} aria-label="which events" data-testid="feed-group">
          {GROUPS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
        <input type="search" placeholder="Search" aria-label="search events" value={text} onChange={(e) => setText(e.target.value)} data-testid="feed-search" />
      </div>
      {shown.length === 0 ? <p className="empty">{events.length === 0 ? 'Nothing has happened yet.' : 'No event matches.'}</p> : null}
      <ol>
        {shown.map((e) => {
          const g = gist(e);
          const page = pageOf(e);
          return (
            <li key={e.id} data-testid="event-item" data-kind={e.kind}>
              <span className="event-kind">{e.kind}</span>{' '}
              {page ? (
                <NavLink to={pathOf(page)} className="event-subject">
                  {e.subject}
                </NavLink>
              ) : (
                <span className="event-subject">{e.subject}</span>
              )}
              {g ? <div className="event-gist">{g}</div> : null}
              <div className="event-meta">
                {new Date(e.time).toLocaleTimeString()} · {e.actor}
                {e.origin && e.origin !== 'in-process' ? <span title="how the call reached Core (the actor is what the client says)"> via {e.origin}</span> : null}
              </div>
            </li>
          );
        })}
      </ol>
    </aside>
  );
}
