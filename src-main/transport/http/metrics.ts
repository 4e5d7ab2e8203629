// GET /metrics: the topology in Prometheus' text format (prom-client), read at each scrape, plus
// the API's request durations and the Core process's own. Behind the same bearer token as the
// API (Prometheus scrapes with `authorization: credentials_file`). resources/prometheus/ has the
// alert rules that use these names and a scrape config.
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TAKEOVER_WATCH_MS, type Topology } from '../../contract/index.js';

const DAY_S = 86_400;
const bool = (b: boolean) => (b ? 1 : 0);

export interface Metrics {
  registry: Registry;
  /** One API call: its procedure (or "unknown"), HTTP status and seconds. */
  observe(procedure: string, status: number, seconds: number): void;
}

/** The registry; `topology` is read once per scrape. */
export function createMetrics(topology: () => Promise<Topology>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bulwark_core_' });
  // prom-client calls each gauge's collect() per scrape: the first reads the topology and fills all.
  let pending: Promise<void> | null = null;
  const refresh = () => (pending ??= fill().finally(() => setImmediate(() => (pending = null))));
  const g = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry], collect: refresh });
  const gateway = {
    link: g('bulwark_gateway_link_up', "1 while Core's link with the gateway agent is up", ['host']),
    healthy: g('bulwark_gateway_healthy', "1 while the gateway's WireGuard is up and listening (absent while Core cannot see it)", ['host']),
    role: g('bulwark_gateway_vrrp_role', "1 for the gateway's VRRP role in a location (keepalived's last word)", ['host', 'location', 'role']),
    holds: g('bulwark_gateway_holds_vip', "1 while the location's floating IP is on the gateway", ['host', 'location']),
    peers: g('bulwark_gateway_peers', 'peers the gateway applied for the location', ['host', 'location']),
    active: g('bulwark_gateway_active_peers', 'devices with a handshake on this gateway within 3 minutes', ['host', 'location']),
  };
  const certDays = g('bulwark_agent_certificate_days_left', "days until the agent's TLS certificate ends", ['host', 'role']);
  const location = {
    holders: g('bulwark_location_vip_holders', 'linked gateways that say they hold the floating IP (vrrp: 1 when all is well)', ['location']),
    unseen: g('bulwark_location_gateways_unseen', "gateways of the location whose link with Core is not up (their part is unknown)", ['location']),
    rotation: g('bulwark_location_in_rotation', "gateways in the load balancer's rotation (lb)", ['location']),
    slowest: g('bulwark_location_last_failover_slowest_seconds', 'the last failover: seconds until its slowest client completed a handshake', ['location']),
    missing: g('bulwark_location_last_failover_missing_clients', `the last failover: clients that did not come back within ${TAKEOVER_WATCH_MS / 1000} s`, ['location']),
    devices: g('bulwark_location_devices', 'devices of the location', ['location']),
    active: g('bulwark_location_active_peers', 'devices with a handshake within 3 minutes', ['location']),
  };
  const edge = {
    link: g('bulwark_edge_link_up', "1 while Core's link with the edge is up", ['host']),
    ready: g('bulwark_edge_ready', '1 while the edge takes public requests (absent while Core cannot see it)', ['host']),
    rotation: g('bulwark_edge_in_rotation', "1 while the edge is in the edge balancer's rotation", ['host']),
  };
  const balancer = {
    link: g('bulwark_balancer_link_up', "1 while Core's link with the balancer agent is up", ['host']),
    nginx: g('bulwark_balancer_nginx_running', "1 while the balancer's nginx runs (lb locations; absent while Core cannot see it)", ['host']),
  };
  const lockouts = g('bulwark_lockouts', 'lockouts after wrong codes in force', []);
  const problems = g('bulwark_problems', 'problems the topology shows, by severity', ['severity']);
  const all = [...Object.values(gateway), certDays, ...Object.values(location), ...Object.values(balancer), ...Object.values(edge), lockouts, problems];

  async function fill(): Promise<void> {
    const t = await topology();
    for (const m of all) m.reset();
    const now = Date.parse(t.at);
    const days = (iso: string | null) => (iso === null ? null : (Date.parse(iso) - now) / 1000 / DAY_S);
    for (const x of t.gateways) {
      gateway.link.set({ host: x.host }, bool(x.link === 'up'));
      if (x.healthy !== null) gateway.healthy.set({ host: x.host }, bool(x.healthy));
      for (const l of x.locations) {
        if (l.role) gateway.role.set({ host: x.host, location: l.location, role: l.role }, 1);
        gateway.holds.set({ host: x.host, location: l.location }, bool(l.holdsVip));
        if (l.peers !== null) gateway.peers.set({ host: x.host, location: l.location }, l.peers);
        gateway.active.set({ host: x.host, location: l.location }, l.activePeers);
      }
    }
    for (const a of [...t.gateways, ...t.balancers, ...t.edges]) {
      const d = days(a.certNotAfter);
      if (d !== null) certDays.set({ host: a.host, role: a.role }, d);
    }
    for (const l of t.locations) {
      if (l.failover.mode === 'vrrp') {
        location.holders.set({ location: l.name }, l.failover.holders.length);
        location.unseen.set({ location: l.name }, t.gateways.filter((x) => l.gateways.includes(x.host) && x.link !== 'up').length);
      }
      if (l.failover.inRotation !== null) location.rotation.set({ location: l.name }, l.failover.inRotation);
      if (l.lastFailover?.slowestMs != null) location.slowest.set({ location: l.name }, l.lastFailover.slowestMs / 1000);
      if (l.lastFailover) location.missing.set({ location: l.name }, l.lastFailover.missing.length);
      location.devices.set({ location: l.name }, l.devices);
      location.active.set({ location: l.name }, l.activePeers);
    }
    for (const b of t.balancers) {
      balancer.link.set({ host: b.host }, bool(b.link === 'up'));
      if (b.nginxRunning !== null) balancer.nginx.set({ host: b.host }, bool(b.nginxRunning));
    }
    for (const e of t.edges) {
      edge.link.set({ host: e.host }, bool(e.link === 'up'));
      if (e.ready !== null) edge.ready.set({ host: e.host }, bool(e.ready));
      if (e.inRotation !== null) edge.rotation.set({ host: e.host }, bool(e.inRotation));
    }
    lockouts.set(t.lockouts);
    for (const s of ['critical', 'warning', 'info'] as const) problems.set({ severity: s }, t.problems.filter((p) => p.severity === s).length);
  }

  const requests = new Histogram({
    name: 'bulwark_api_request_duration_seconds',
    help: 'API calls by procedure and HTTP status',
    labelNames: ['procedure', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  return { registry, observe: (procedure, status, seconds) => requests.observe({ procedure, status: String(status) }, seconds) };
}
