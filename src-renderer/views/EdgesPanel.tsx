// The public side at a glance: the name browsers use, each edge's link and readiness, the
// balancer's own view of it, lockouts in force (with a button that ends one), and problems.
import { useApp } from '../stores/app-store.js';
import { usePolled } from './use-polled.js';

export function EdgesPanel() {
  const api = useApp((s) => s.api)!;
  const st = usePolled(() => api.call('edges.status', {}), 2000, [api]);
  if (st.error) return <p className="form-error">Public side unavailable: {st.error}</p>;
  const s = st.value;
  if (!s) return <p className="muted">Loading the public side…</p>;
  if (s.edges.length === 0 && !s.public) return <p className="empty">No edges. Edges serve enrollment and MFA for every location; make a host one on the Hosts page, then set the public name with "bulwark edge balancer".</p>;
  return (
    <div data-testid="edges-panel">
      <p>
        {s.public ? (
          <>
            Public name <span className="mono">{s.public.publicName}</span>
            {s.public.balancer ? ` through the balancer on ${s.public.balancer}` : ' (your own proxy)'}
            {s.public.tls.source === 'ca' ? ". Its certificate is from Bulwark's CA, which browsers do not trust." : ''}
          </>
        ) : (
          'No public name yet, so no invite can be made.'
        )}
      </p>
      {s.edges.length > 0 ? (
        <table className="table" data-testid="edges-table">
          <thead><tr><th>Edge</th><th>Link</th><th>Ready</th><th className="num">Served</th><th>Balancer</th></tr></thead>
          <tbody>
            {s.edges.map((e) => (
              <tr key={e.host} data-testid="edge-row" data-host={e.host}>
                <td>{e.host}</td>
                <td className={e.link === 'up' ? undefined : 'link-down'} title={e.reason ?? undefined}>{e.link}</td>
                <td title={e.notReady ?? undefined}>{e.ready === null ? '-' : e.ready ? 'ready' : `not ready: ${e.notReady ?? ''}`}</td>
                <td className="num">{e.served ?? '-'}</td>
                <td title={e.balancer?.check ?? undefined}>{e.balancer ? `${e.balancer.inRotation ? 'in rotation' : 'out'} (${e.balancer.status})` : '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {s.lockouts.map((l) => (
        <div key={l.id} className="reason reason-down" role="status" data-testid="lockout">
          Locked: {l.kind} {l.subject} until {l.until} after {l.failures} failures.{' '}
          <button type="button" onClick={() => void api.call('lockouts.clear', { id: l.id }).then(st.reload, st.reload)}>
            End lockout
          </button>
        </div>
      ))}
      {s.problems.map((p) => (
        <div key={p} className="reason reason-refused" role="alert" data-testid="edge-problem">
          {p}
        </div>
      ))}
    </div>
  );
}
