import { useEffect, useState } from 'react';
import { NavLink, useLocation, useNavigate } from 'react-router';
import { httpApi } from '../api/client.js';
import { useApp, type View } from '../stores/app-store.js';
import { useLocationStatus } from '../stores/location-status-store.js';
import { useProvision } from '../stores/provision-store.js';
import { useTopology } from '../stores/topology-store.js';
import { BackupView } from '../views/backup/BackupView.js';
import { DevicePage } from '../views/devices/DevicePage.js';
import { HostPage } from '../views/hosts/HostPage.js';
import { HostsView } from '../views/hosts/HostsView.js';
import { LocationPage } from '../views/LocationPage.js';
import { LocationsView } from '../views/LocationsView.js';
import { ProvisioningView } from '../views/provisioning/ProvisioningView.js';
import { RunPage } from '../views/provisioning/RunPage.js';
import { TopologyView } from '../views/topology/TopologyView.js';
import { EventFeed } from './EventFeed.js';
import { pathOf, viewOf } from '../routes/routes.js';

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

/** Keeps the store's page and the URL as one: a new URL (a link, back, a reload) shows its page, and go() navigates. */
function RouteSync() {
  const location = useLocation();
  const navigate = useNavigate();
  useEffect(() => {
    useApp.setState({ navigate: (path) => void navigate(path) });
    return () => useApp.setState({ navigate: null });
  }, [navigate]);
  useEffect(() => useApp.getState().show(viewOf(location.pathname)), [location.pathname]);
  return null;
}

function NavItem({ to, label, active }: { to: View; label: string; active: boolean }) {
  return (
    <NavLink to={pathOf(to)} className={active ? 'active' : ''} data-testid={`nav-${to.kind}`}>
      {label}
    </NavLink>
  );
}

function Missing({ path }: { path: string }) {
  return (
    <section className="card" data-testid="missing-page">
      <h2>No page here</h2>
      <p>
        Bulwark has no page at <code>{path}</code>. Open the <NavLink to="/">topology</NavLink>, or the <NavLink to="/locations">locations</NavLink>.
      </p>
    </section>
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
    case 'device':
      return <DevicePage location={view.location} name={view.name} />;
    case 'hosts':
      return <HostsView />;
    case 'host':
      return <HostPage name={view.name} />;
    case 'provisioning':
      return <ProvisioningView />;
    case 'run':
      return <RunPage id={view.id} />;
    case 'backup':
      return <BackupView />;
    case 'missing':
      return <Missing path={view.path} />;
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
      <RouteSync />
      <header className="topbar">
        <span className="brand">Bulwark</span>
        <nav>
          <NavItem to={{ kind: 'topology' }} active={view.kind === 'topology'} label="Topology" />
          <NavItem to={{ kind: 'locations' }} active={view.kind === 'locations' || view.kind === 'location' || view.kind === 'device'} label="Locations" />
          <NavItem to={{ kind: 'hosts' }} active={view.kind === 'hosts' || view.kind === 'host'} label="Hosts" />
          <NavItem to={{ kind: 'provisioning' }} active={view.kind === 'provisioning' || view.kind === 'run'} label="Provisioning" />
          <NavItem to={{ kind: 'backup' }} active={view.kind === 'backup'} label="Backup" />
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
