import { useEffect, useState } from 'react';
import { httpApi } from '../api/client.js';
import { useApp, type View } from '../stores/app-store.js';
import { useLocationStatus } from '../stores/location-status-store.js';
import { useProvision } from '../stores/provision-store.js';
import { useTopology } from '../stores/topology-store.js';
import { HostsView } from '../views/HostsView.js';
import { LocationPage } from '../views/LocationPage.js';
import { LocationsView } from '../views/LocationsView.js';
import { ProvisioningView } from '../views/ProvisioningView.js';
import { TopologyView } from '../views/topology/TopologyView.js';
import { EventFeed } from './EventFeed.js';

export const TOKEN_KEY = 'bulwark.token';

function Login() {
  const authError = useApp((s) => s.authError);
  const setApi = useApp((s) => s.setApi);
  const [token, setToken] = useState('');
  return (
    <main className="login">
      <form
        className="card form"
        data-testid="login-form"
        onSubmit={(e) => {
          e.preventDefault();
          localStorage.setItem(TOKEN_KEY, token.trim());
          setApi(httpApi(location.origin, token.trim()));
        }}
      >
        <h1>Bulwark</h1>
        <p>Paste the API token from the data dir's <code>token</code> file.</p>
        <input data-testid="login-token" type="password" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        {authError ? <p className="form-error" role="alert">{authError}</p> : null}
        <button type="submit">Log in</button>
      </form>
    </main>
  );
}

function NavButton({ to, active, label }: { to: View; active: boolean; label: string }) {
  const go = useApp((s) => s.go);
  return (
    <button type="button" className={active ? 'active' : ''} onClick={() => go(to)} data-testid={`nav-${to.kind}`}>
      {label}
    </button>
  );
}

function ViewContent({ view }: { view: View }) {
  switch (view.kind) {
    case 'topology':
      return <TopologyView />;
    case 'locations':
      return <LocationsView />;
    case 'location':
      return <LocationPage name={view.name} />;
    case 'hosts':
      return <HostsView />;
    case 'provisioning':
      return <ProvisioningView />;
  }
}

export function App() {
  const api = useApp((s) => s.api);
  const view = useApp((s) => s.view);
  const status = useApp((s) => s.status);
  const loadError = useApp((s) => s.loadError);

  useEffect(() => {
    if (!api) return;
    void useApp.getState().refresh();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stop: (() => void) | undefined;
    let cancelled = false;
    // Load the newest events first, then stream from the last of them: the stream never
    // replays the whole audit trail, and reconnects resume from the last event seen.
    const start = async () => {
      const recent = await api.call('events.list', { limit: 50, newest: true }).catch(() => []);
      recent.forEach((e) => useApp.getState().receive(e));
      if (cancelled) return;
      stop = api.subscribe(
        (m) => {
          if (m.type === 'topology') useTopology.getState().receive(m.topology);
          if (m.type !== 'event') return;
          useApp.getState().receive(m.event);
          useProvision.getState().receive(m.event);
          useLocationStatus.getState().receive(m.event);
          // Provisioning progress changes no model the lists show; an apply sends dozens of them.
          if (m.event.kind.startsWith('provision.')) return;
          // Several events often arrive together (one per committed row): refresh once.
          clearTimeout(timer);
          timer = setTimeout(() => void useApp.getState().refresh(), 30);
        },
        (s) => useApp.setState({ status: s }),
        () => useApp.getState().lastEventId,
      );
    };
    void start();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      stop?.();
    };
  }, [api]);

  if (!api) return <Login />;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Bulwark</span>
        <nav>
          <NavButton to={{ kind: 'topology' }} active={view.kind === 'topology'} label="Topology" />
          <NavButton to={{ kind: 'locations' }} active={view.kind === 'locations' || view.kind === 'location'} label="Locations" />
          <NavButton to={{ kind: 'hosts' }} active={view.kind === 'hosts'} label="Hosts" />
          <NavButton to={{ kind: 'provisioning' }} active={view.kind === 'provisioning'} label="Provisioning" />
        </nav>
        <span className={`status status-${status}`} data-testid="stream-status">
          {status === 'live' ? 'live' : status === 'reconnecting' ? 'reconnecting…' : 'connecting…'}
        </span>
      </header>
      {loadError ? <p className="banner" role="alert">{loadError}</p> : null}
      {/* The topology has its own side panel (problems, and each node's events): the feed would squeeze the map. */}
      <main className={view.kind === 'topology' ? 'content content-wide' : 'content'}>
        <ViewContent view={view} />
      </main>
      {view.kind === 'topology' ? null : <EventFeed />}
    </div>
  );
}
