// Core's end of the control links: Core dials every provisioned agent (WebSocket over mutual
// TLS, Core's client certificate, the agent's server certificate checked against Core's CA,
// its subject, and the revocation list), keeps one link each, asks for heartbeats, marks an
// agent down when they stop, and redials with exponential backoff and jitter. State changes
// are events (link.up, link.down, link.refused) that say why.
import type { PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import { AgentMessage, type BalancerView, BulwarkError, LINK_PROTOCOL, LINK_SUBPROTOCOL, type AgentExpired, type CoreActivity, type KnownEvent, type NewEvent, type CoreMessage, type CorePeers, type LinkState, type LocationStatus, type PeerStats, type WgPeer } from '../contract/index.js';
import { down, linkErrorOf, refused, type LinkError } from './link-error.js';
import { CONTROL_PORT } from '../contract/host-layout.js';
import type { Store } from '../store/db.js';
import { agentRolesOf, provisionedHosts } from '../store/queries.js';
import type { CorePorts } from '../core/ports.js';
import { AGENT_RENEW_DAYS, agentSubject, normalSerial, type AgentRole, type PkiService } from '../core/pki/pki-service.js';
import type { SessionService } from '../core/sessions/session-service.js';

export interface LinkSettings {
  /** How often agents send a heartbeat. */
  heartbeatMs: number;
  /** How often gateways report per-peer counters. */
  statsMs: number;
  /** An agent with no message for this long is marked down and redialled. */
  downAfterMs: number;
  /** Backoff between dials: from minBackoffMs, doubling, up to maxBackoffMs, each ±20 %. */
  minBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_LINK_SETTINGS: LinkSettings = { heartbeatMs: 1000, statsMs: 2000, downAfterMs: 5000, minBackoffMs: 250, maxBackoffMs: 15_000 };

interface Target {
  agent: string;
  host: string;
  role: AgentRole;
  address: string;
  port: number;
}

class Link {
  state: LinkState['state'] = 'connecting';
  since: string;
  reason: string | null = null;
  healthy: boolean | null = null;
  agentVersion: string | null = null;
  wireguardMode: 'kernel' | 'wireguard-go' | null = null;
  badMessages = 0;
  /** The certificate the agent presented in this link's TLS handshake. */
  certificate: { serial: string; notAfter: string } | null = null;
  /** A gateway's floating IPs as its last heartbeat said. */
  vrrp: { location: string; role: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | null; holdsVip: boolean }[] = [];
  /** A balancer's nginx and rotation as its last heartbeat said; null before one (or not a balancer). */
  balancer: BalancerView | null = null;
  /** A renewed certificate was sent and the agent has not answered yet. */
  renewing = false;
  readonly applied = new Map<string, { revision: number; peers: number }>();
  private ws: WebSocket | null = null;
  private retry: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    readonly target: Target,
    private readonly svc: LinkService,
  ) {
    this.since = svc.now();
    void this.dial();
  }

  view(): LinkState {
    const t = this.target;
    return { agent: t.agent, host: t.host, role: t.role, state: this.state, since: this.since, reason: this.reason, healthy: this.state === 'up' ? this.healthy : null, agentVersion: this.agentVersion, wireguardMode: this.wireguardMode, badMessages: this.badMessages, certificate: this.certificate, applied: [...this.applied].map(([location, a]) => ({ location, ...a })) };
  }

  /** Moves to a state; an event is written when the state or its reason changes. */
  private set(state: LinkState['state'], reason: string | null): void {
    if (state === this.state && reason === this.reason) return;
    const was = this.state;
    if (state !== was) this.since = this.svc.now();
    this.state = state;
    this.reason = reason;
    this.svc.changed(this, was);
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    const t = this.target;
    let tls: { ca: string; cert: string; key: string };
    try {
      tls = await this.svc.clientTls();
    } catch (err) {
      this.fail(refused(`Core has no client certificate: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (this.stopped) return;
    const host = t.address.includes(':') ? `[${t.address}]` : t.address;
    const ws = new WebSocket(`wss://${host}:${t.port}/`, LINK_SUBPROTOCOL, {
      ...tls,
      handshakeTimeout: 5000,
      maxPayload: 4 * 1024 * 1024,
      // The chain is checked against Core's CA by TLS; this checks who it is and revocation.
      // (ws hands it to tls.connect; @types/ws types it as the unrelated WebSocket option.)
      ...({
        checkServerIdentity: (_name: string, cert: PeerCertificate) => {
          const wrong = this.svc.checkAgentCert(t, cert);
          if (!wrong) this.certificate = { serial: normalSerial(cert.serialNumber), notAfter: new Date(cert.valid_to).toISOString() };
          return wrong;
        },
      } as object),
    });
    this.ws = ws;
    ws.on('open', () => this.kick());
    ws.on('message', (data) => this.receive(String(data)));
    ws.on('unexpected-response', (_req, res) => this.fail(down(`the agent answered HTTP ${res.statusCode} instead of opening the link`)));
    ws.on('error', (err) => this.fail(err));
    ws.on('close', () => {
      if (this.ws === ws) this.fail(down('the link closed'));
    });
  }

  private receive(text: string): void {
    let msg: AgentMessage;
    try {
      msg = AgentMessage.parse(JSON.parse(text));
    } catch (err) {
      // Counted (links.list shows it) and dropped; the link stays.
      this.badMessages += 1;
      void err;
      return;
    }
    this.kick();
    if (msg.type === 'hello') {
      if (msg.protocol !== LINK_PROTOCOL) {
        this.fail(refused(`the agent speaks link protocol ${msg.protocol}, Core speaks ${LINK_PROTOCOL}; provision it again so both run the same version`));
        return;
      }
      this.agentVersion = msg.version;
      this.wireguardMode = msg.wireguardMode ?? null;
      this.failures = 0;
      this.set('up', null);
      this.send({ type: 'welcome', protocol: LINK_PROTOCOL, heartbeatMs: this.svc.settings.heartbeatMs, statsMs: this.svc.settings.statsMs });
      this.svc.linkUp(this);
      void this.svc.renewIfDue(this);
    } else if (msg.type === 'certificateInstalled') {
      this.svc.certificateInstalled(this, msg.serial, msg.notAfter);
    } else if (msg.type === 'applied') {
      this.applied.set(msg.location, { revision: msg.revision, peers: msg.peers });
      for (const f of this.svc.appliedListeners) f({ host: this.target.host, location: msg.location, revision: msg.revision, peers: msg.peers, tookMs: msg.tookMs });
    } else if (msg.type === 'stats') {
      this.svc.peerStats(this, msg.location, msg.peers);
    } else if (msg.type === 'expired') {
      this.svc.expired(this, msg);
    } else if (msg.type === 'refused') {
      if (msg.reason.startsWith('certificate:')) this.renewing = false;
      this.svc.refusedByAgent(this, msg.reason);
    } else if (msg.type === 'heartbeat') {
      if (msg.vrrp) this.vrrp = msg.vrrp;
      if (msg.balancer) {
        this.svc.rotationChanged(this, this.balancer, msg.balancer);
        this.balancer = msg.balancer;
      }
      const healthy = msg.healthy;
      if (healthy !== this.healthy) {
        this.healthy = healthy;
        if (this.state === 'up') this.svc.changed(this, 'up');
      }
    }
  }

  /** Sends when the link is up; a message lost to a dropped link is resent as a full sync on reconnect. */
  send(m: CoreMessage): void {
    if (this.state === 'up' && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  /** Any message from the agent proves it alive; silence for downAfterMs ends the link. */
  private kick(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.fail(down(`no heartbeat for ${this.svc.settings.downAfterMs} ms`)), this.svc.settings.downAfterMs);
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    ws?.removeAllListeners();
    ws?.on('error', () => undefined);
    ws?.terminate();
    if (this.retry) return; // already failed once for this dial
    const { state, message } = linkErrorOf(err);
    this.healthy = null;
    this.renewing = false;
    this.vrrp = [];
    this.balancer = null;
    this.applied.clear();
    this.set(state, message);
    this.failures += 1;
    const s = this.svc.settings;
    const base = Math.min(s.maxBackoffMs, s.minBackoffMs * 2 ** Math.min(this.failures - 1, 16));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.dial();
    }, delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.watchdog) clearTimeout(this.watchdog);
    const ws = this.ws;
    this.ws = null;
    ws?.removeAllListeners();
    ws?.on('error', () => undefined);
    ws?.terminate();
  }
}

export class LinkService {
  private readonly links = new Map<string, Link>();
  private tlsCache: { expires: number; value: Promise<{ ca: string; cert: string; key: string }> } | null = null;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly pki: PkiService,
    private readonly ports: CorePorts,
    private readonly sessions: SessionService,
    readonly settings: LinkSettings,
  ) {}

  now(): string {
    return this.ports.now().toISOString();
  }

  private renewTimer: NodeJS.Timeout | null = null;

  /** Starts dialling the agents; call sync() again whenever roles or provisioning change. */
  start(): void {
    this.running = true;
    this.sync();
    // Links can stay up for months: look at their certificates a few times a day.
    this.renewTimer = setInterval(() => {
      for (const l of this.links.values()) void this.renewIfDue(l);
    }, 6 * 3600_000);
    this.renewTimer.unref();
  }

  /**
   * When the certificate an agent presented has fewer than AGENT_RENEW_DAYS left, Core sends
   * it a renewed one over the link (issued now, or one issued earlier that it has not
   * installed). The link stays up; the agent serves the new one from its next handshake on.
   */
  async renewIfDue(link: Link): Promise<void> {
    const presented = link.certificate;
    if (link.renewing || !presented || link.state !== 'up') return;
    if (Date.parse(presented.notAfter) - this.ports.now().getTime() >= AGENT_RENEW_DAYS * 24 * 3600_000) return;
    link.renewing = true;
    try {
      const host = this.store.read((tx) => tx.get<{ id: number; name: string; ssh_address: string }>('SELECT id, name, ssh_address FROM hosts WHERE name = ?', link.target.host));
      if (!host) throw new Error(`host ${link.target.host} is gone`);
      const cert = await this.pki.agentCert(link.target.role, { id: host.id, name: host.name, address: host.ssh_address });
      if (normalSerial(cert.serial) === presented.serial) throw new Error('Core has no newer certificate for it');
      link.send({ type: 'certificate', certPem: cert.certPem, keyPem: cert.keyPem });
    } catch (err) {
      link.renewing = false;
      this.linkProblem(link, `Core could not renew the agent's certificate: ${(err as Error).message}`, 'core');
    }
  }

  certificateInstalled(link: Link, serial: string, notAfter: string): void {
    link.renewing = false;
    try {
      this.store.write((tx) => tx.event({ kind: 'certificate.renewed', subject: `certificate:${link.target.agent}`, details: { host: link.target.host, role: link.target.role, serial, notAfter, via: 'link' } }));
    } catch {
      // the agent's log has it too
    }
  }

  /** The agents Core should have a link with: every role of every provisioned host. */
  private targets(): Target[] {
    return this.store.read((tx) =>
      provisionedHosts(tx).flatMap((h) =>
        agentRolesOf(h.roles).map((role) => ({ agent: agentSubject(role, h.name), host: h.name, role, address: h.ssh_address, port: CONTROL_PORT[role] })),
      ),
    );
  }

  sync(): void {
    if (!this.running) return;
    const want = new Map(this.targets().map((t) => [t.agent, t]));
    for (const [agent, link] of this.links) {
      const t = want.get(agent);
      if (!t || t.address !== link.target.address) {
        link.stop();
        this.links.delete(agent);
      }
    }
    for (const [agent, t] of want) if (!this.links.has(agent)) this.links.set(agent, new Link(t, this));
  }

  list(): LinkState[] {
    return [...this.links.values()].map((l) => l.view()).sort((a, b) => (a.agent < b.agent ? -1 : 1));
  }

  clientTls(): Promise<{ ca: string; cert: string; key: string }> {
    if (!this.tlsCache || this.tlsCache.expires < Date.now()) {
      const value = Promise.all([this.pki.caPem(), this.pki.coreCert()]).then(([ca, c]) => ({ ca, cert: c.certPem, key: c.keyPem }));
      this.tlsCache = { expires: Date.now() + 3600_000, value };
      value.catch(() => (this.tlsCache = null));
    }
    return this.tlsCache.value;
  }

  /** The agent's certificate must name this agent and be one Core issued and has not revoked. */
  checkAgentCert(t: Target, cert: PeerCertificate): LinkError | undefined {
    const cn = cert.subject?.CN;
    if (cn !== t.agent) return refused(`the agent at ${t.address}:${t.port} presents a certificate for ${String(cn)}, not ${t.agent}`);
    const known = this.pki.lookup(cert.serialNumber);
    if (!known) return refused(`the agent's certificate (serial ${cert.serialNumber}) was not issued by this Core`);
    if (known.revokedAt) return refused(`the agent's certificate was revoked at ${known.revokedAt} (${known.reason ?? 'no reason given'})`);
    return undefined;
  }

  changed(link: Link, was: LinkState['state']): void {
    const v = link.view();
    const kind = v.state === 'up' ? 'link.up' : v.state === 'refused' ? 'link.refused' : 'link.down';
    try {
      this.store.write((tx) => tx.event({ kind, subject: `agent:${v.agent}`, details: { host: v.host, role: v.role, reason: v.reason, healthy: v.healthy, was } }));
    } catch {
      // a state change that cannot be stored is still visible in links.list
    }
  }

  /** Told of every revision a gateway confirms (bench/sync measures with it). */
  readonly appliedListeners = new Set<(a: { host: string; location: string; revision: number; peers: number; tookMs: number }) => void>();

  /** The newest revision sent for a location (what a gateway must confirm to be current). */
  lastRevision(): number {
    return this.revision;
  }

  private revision = Date.now();

  private nextRevision(): number {
    this.revision = Math.max(this.revision + 1, Date.now());
    return this.revision;
  }

  private locationPolicy(location: string): { mfa: boolean; disconnectThreshold: number } | null {
    const row = this.store.read((tx) => tx.get<{ mfa: number; disconnect_threshold: number }>('SELECT mfa, disconnect_threshold FROM locations WHERE name = ?', location));
    return row ? { mfa: row.mfa === 1, disconnectThreshold: row.disconnect_threshold } : null;
  }

  /**
   * The location's WireGuard peers: every device (its one address, stored as /32 or /128); in
   * an MFA location only devices with an active session, each with its session's id.
   */
  private peersOf(location: string, mfa: boolean): WgPeer[] {
    if (mfa) return [...this.sessions.active(location).values()].map((s) => ({ publicKey: s.publicKey, allowedIps: [s.address], session: s.id }));
    return this.store.read((tx) =>
      tx
        .all<{ public_key: string; address: string }>('SELECT d.public_key, d.address FROM devices d JOIN locations l ON l.id = d.location_id WHERE l.name = ? ORDER BY d.id', location)
        .map((d) => ({ publicKey: d.public_key, allowedIps: [d.address] })),
    );
  }

  private fullSet(location: string): CorePeers | null {
    const policy = this.locationPolicy(location);
    if (!policy) return null;
    return { type: 'peers', location, revision: this.nextRevision(), full: true, upsert: this.peersOf(location, policy.mfa), remove: [], policy };
  }

  private locationsOf(host: string): string[] {
    return this.store.read((tx) =>
      tx.all<{ name: string }>('SELECT l.name FROM locations l JOIN gateways g ON g.location_id = l.id JOIN hosts h ON h.id = g.host_id WHERE h.name = ? ORDER BY l.name', host).map((r) => r.name),
    );
  }

  /** The gateways of a location whose link is up now. */
  private linkedGateways(location: string): Link[] {
    return [...this.links.values()].filter((l) => l.target.role === 'gateway' && l.state === 'up' && this.locationsOf(l.target.host).includes(location));
  }

  /** A gateway's link is up: it gets the full peer set and policy of each of its locations. */
  linkUp(link: Link): void {
    if (link.target.role !== 'gateway') return;
    for (const location of this.locationsOf(link.target.host)) {
      const full = this.fullSet(location);
      if (full) link.send(full);
    }
  }

  /**
   * Committed changes become peer changes on every linked gateway of their location, in the
   * order they were made: devices added or removed, MFA sessions started or ended. A location
   * whose MFA setting or threshold changed gets its full set again instead.
   */
  devicesChanged(events: KnownEvent[]): void {
    const resync = new Set<string>();
    const byLocation = new Map<string, Map<string, WgPeer | null>>();
    const mfaOf = new Map<string, boolean>();
    const isMfa = (location: string) => {
      if (!mfaOf.has(location)) mfaOf.set(location, this.locationPolicy(location)?.mfa ?? false);
      return mfaOf.get(location)!;
    };
    for (const e of events) {
      if (e.kind === 'location.updated') {
        if (e.details.mfa !== undefined || e.details.disconnectThreshold !== undefined) resync.add(e.subject.replace(/^location:/, ''));
        continue;
      }
      if (e.kind !== 'device.added' && e.kind !== 'device.removed' && e.kind !== 'session.started' && e.kind !== 'session.ended') continue;
      const d = e.details;
      const change = byLocation.get(d.location) ?? new Map<string, WgPeer | null>();
      byLocation.set(d.location, change);
      // A device's address is stored with its host prefix (/32 or /128): its one allowed IP.
      if (e.kind === 'device.added' && !isMfa(d.location)) change.set(d.publicKey, { publicKey: d.publicKey, allowedIps: [d.address] });
      else if (e.kind === 'session.started') change.set(d.publicKey, { publicKey: d.publicKey, allowedIps: [d.address], session: e.details.session });
      else if (e.kind === 'device.removed' || e.kind === 'session.ended') change.set(d.publicKey, null);
      if (e.kind === 'device.removed') {
        this.stats.get(d.location)?.delete(d.publicKey); // a removed device's counters go with it
        this.activity.get(d.location)?.delete(d.publicKey);
      }
    }
    for (const location of resync) {
      byLocation.delete(location);
      for (const link of this.linkedGateways(location)) {
        const full = this.fullSet(location);
        if (full) link.send(full);
      }
    }
    for (const [location, change] of byLocation) {
      if (change.size === 0) continue;
      const upsert = [...change.values()].filter((p): p is WgPeer => p !== null);
      const remove = [...change].filter(([, p]) => p === null).map(([k]) => k);
      const revision = this.nextRevision();
      for (const link of this.linkedGateways(location)) link.send({ type: 'peers', location, revision, full: false, upsert, remove });
    }
  }

  /**
   * location → device public key → gateway → when it last saw the peer active (unix seconds:
   * its newest handshake, or Core's clock when its received bytes grew) and from where.
   */
  private readonly activity = new Map<string, Map<string, Map<string, { lastActivity: number; endpoint: string | null; rxBytes: number }>>>();

  /** Folds a gateway's report into the activity table; returns the peers whose activity moved. */
  private noteActivity(gateway: string, location: string, peers: PeerStats[]): CoreActivity['peers'] {
    const byKey = this.activity.get(location) ?? new Map<string, Map<string, { lastActivity: number; endpoint: string | null; rxBytes: number }>>();
    this.activity.set(location, byKey);
    const nowS = Math.floor(this.ports.now().getTime() / 1000);
    const moved: CoreActivity['peers'] = [];
    for (const p of peers) {
      const perGateway = byKey.get(p.publicKey) ?? new Map<string, { lastActivity: number; endpoint: string | null; rxBytes: number }>();
      byKey.set(p.publicKey, perGateway);
      const had = perGateway.get(gateway);
      const grew = had !== undefined && p.rxBytes > had.rxBytes;
      const lastActivity = Math.max(p.latestHandshake, had?.lastActivity ?? 0, grew ? nowS : 0);
      perGateway.set(gateway, { lastActivity, endpoint: p.endpoint, rxBytes: p.rxBytes });
      if (lastActivity > (had?.lastActivity ?? 0) || p.endpoint !== (had?.endpoint ?? null)) {
        if (lastActivity > 0 || p.endpoint !== null) moved.push({ publicKey: p.publicKey, endpoint: p.endpoint, lastActivity });
      }
    }
    return moved;
  }

  /** True when a gateway other than `except` saw the peer active within the last `withinS` seconds. */
  private activeElsewhere(location: string, publicKey: string, except: string, withinS: number): boolean {
    const nowS = Math.floor(this.ports.now().getTime() / 1000);
    for (const [gateway, a] of this.activity.get(location)?.get(publicKey) ?? []) {
      if (gateway !== except && nowS - a.lastActivity <= withinS) return true;
    }
    return false;
  }

  /** A gateway expired idle MFA sessions: end them (unless another gateway carries the peer) and acknowledge. */
  expired(link: Link, msg: AgentExpired): void {
    if (!this.locationsOf(link.target.host).includes(msg.location)) {
      this.linkProblem(link, `the agent reported expired sessions of location ${msg.location}, which it does not serve; ignored`, 'core');
      return;
    }
    const policy = this.locationPolicy(msg.location);
    let kept: number[] = [];
    try {
      kept = this.sessions.expire(link.target.host, msg.location, msg.sessions, (key) => this.activeElsewhere(msg.location, key, link.target.host, policy?.disconnectThreshold ?? 0)).kept;
    } catch (err) {
      this.linkProblem(link, `Core could not take note of expired sessions: ${(err as Error).message}`, 'core');
      return;
    }
    link.send({ type: 'expiredAck', location: msg.location, sessions: msg.sessions.map((s) => s.session) });
    if (kept.length > 0) {
      // Another gateway carries these peers: this one gets them back (after the ack, so it accepts them).
      const active = this.sessions.active(msg.location);
      const upsert = [...active.values()].filter((s) => kept.includes(s.id)).map((s) => ({ publicKey: s.publicKey, allowedIps: [s.address], session: s.id }));
      if (upsert.length) link.send({ type: 'peers', location: msg.location, revision: this.nextRevision(), full: false, upsert, remove: [] });
    }
  }

  /** location → device public key → the freshest view any gateway reported. */
  private readonly stats = new Map<string, Map<string, PeerStats & { gateway: string }>>();

  peerStats(link: Link, location: string, peers: PeerStats[]): void {
    const moved = this.noteActivity(link.target.host, location, peers);
    if (moved.length > 0) {
      const relay: CoreMessage = { type: 'activity', location, peers: moved };
      for (const other of this.linkedGateways(location)) if (other !== link) other.send(relay);
    }
    const byKey = this.stats.get(location) ?? new Map<string, PeerStats & { gateway: string }>();
    for (const p of peers) {
      const had = byKey.get(p.publicKey);
      // With several gateways (failover), the one with the newest handshake carries the device.
      if (!had || had.gateway === link.target.host || p.latestHandshake >= had.latestHandshake) byKey.set(p.publicKey, { ...p, gateway: link.target.host });
    }
    this.stats.set(location, byKey);
  }

  /** The location live: each gateway's link and data plane, each device's tunnel. */
  locationStatus(name: string): LocationStatus {
    return this.store.read((tx) => {
      const loc = tx.get<{ id: number; name: string; mfa: number; disconnect_threshold: number; failover_mode: 'none' | 'vrrp' | 'lb'; failover_vip: string | null; lb_host: string | null }>(
        'SELECT id, name, mfa, disconnect_threshold, failover_mode, failover_vip, (SELECT h.name FROM hosts h WHERE h.id = failover_lb_host_id) AS lb_host FROM locations WHERE name = ?',
        name,
      );
      if (!loc) throw BulwarkError.field('name', `no location named ${JSON.stringify(name)}; see "bulwark location list"`, 'not_found');
      const hosts = tx.all<{ name: string }>('SELECT h.name FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? ORDER BY h.name', loc.id);
      const stats = this.stats.get(loc.name) ?? new Map<string, PeerStats & { gateway: string }>();
      const sessions = loc.mfa === 1 ? this.sessions.active(loc.name) : new Map();
      const gatewayLinks = hosts.map((h) => ({ host: h.name, link: this.links.get(agentSubject('gateway', h.name)) }));
      const vrrpOf = (l: Link | undefined) => (l && l.state === 'up' && loc.failover_mode === 'vrrp' ? (l.vrrp.find((v) => v.location === loc.name) ?? null) : null);
      const holders = gatewayLinks.filter((g) => vrrpOf(g.link)?.holdsVip).map((g) => g.host);
      const problems: string[] = [];
      if (loc.failover_mode === 'vrrp') {
        const vip = loc.failover_vip ?? '';
        const blind = gatewayLinks.filter((g) => g.link?.state !== 'up').map((g) => g.host);
        if (holders.length > 1) problems.push(`split brain: the floating IP ${vip} is on ${holders.join(' and ')} at once; clients reach whichever answers ARP last. Check the link between them (VRRP adverts) and keepalived on each`);
        else if (holders.length === 0 && blind.length === 0 && hosts.length > 0) problems.push(`no gateway holds the floating IP ${vip}: clients cannot connect. Check keepalived on the gateways (bulwark-keepalived.service) and their health`);
        else if (holders.length === 0 && blind.length > 0) problems.push(`no linked gateway holds the floating IP ${vip}; Core cannot see ${blind.join(', ')}`);
      }
      const lbLink = loc.failover_mode === 'lb' && loc.lb_host ? this.links.get(agentSubject('balancer', loc.lb_host)) : undefined;
      const rotation = lbLink?.state === 'up' ? (lbLink.balancer?.locations.find((l) => l.location === loc.name)?.gateways ?? null) : null;
      if (loc.failover_mode === 'lb' && loc.lb_host) {
        if (!lbLink || lbLink.state !== 'up') {
          problems.push(`Core has no link with the load balancer ${loc.lb_host} (${lbLink?.reason ?? 'not provisioned yet: run "bulwark provision apply"'}); it keeps balancing, but Core cannot see which gateways it uses`);
        } else if (lbLink.balancer && !lbLink.balancer.nginx.running) {
          problems.push(`nginx is not running on the load balancer ${loc.lb_host}${lbLink.balancer.nginx.error ? `: ${lbLink.balancer.nginx.error}` : ''}; clients cannot connect. See "journalctl -u bulwark-balancer" there`);
        } else if (lbLink.balancer?.nginx.error) {
          problems.push(`the load balancer ${loc.lb_host} could not put its latest rotation into nginx (${lbLink.balancer.nginx.error}); nginx still runs the one before. See "journalctl -u bulwark-balancer" there`);
        }
        for (const g of rotation ?? []) {
          if (!g.inRotation) problems.push(`gateway ${g.host} is out of the load balancer's rotation since ${g.since}: ${g.reason ?? 'its health check fails'}; its clients moved to the other gateways (each re-handshakes, ~15 s)`);
          else if (g.healthy === false) problems.push(`gateway ${g.host} fails its health check (${g.reason ?? 'no reason given'}) but stays in rotation: ${rotation!.some((o) => o.host !== g.host && o.healthy) ? 'it has not failed often enough yet' : 'no gateway passes, so the load balancer keeps sending to all'}`);
        }
      }
      return {
        location: loc.name,
        mfa: loc.mfa === 1,
        disconnectThreshold: loc.disconnect_threshold,
        gateways: hosts.map((h) => {
          const l = this.links.get(agentSubject('gateway', h.name))?.view();
          return {
            host: h.name,
            link: l?.state ?? 'down',
            since: l?.since ?? null,
            reason: l ? l.reason : 'not provisioned yet: run "bulwark provision apply"',
            healthy: l?.healthy ?? null,
            wireguardMode: l?.wireguardMode ?? null,
            peers: l?.applied.find((a) => a.location === loc.name)?.peers ?? null,
            vrrp: (() => {
              const v = vrrpOf(this.links.get(agentSubject('gateway', h.name)));
              return v ? { role: v.role, holdsVip: v.holdsVip } : null;
            })(),
            lb: (() => {
              const r = rotation?.find((g) => g.host === h.name);
              return r ? { inRotation: r.inRotation, healthy: r.healthy, since: r.since, reason: r.reason } : null;
            })(),
          };
        }),
        failover: {
          mode: loc.failover_mode,
          vip: loc.failover_vip,
          holders,
          balancer: loc.failover_mode === 'lb' && loc.lb_host ? { host: loc.lb_host, link: lbLink?.state ?? 'down', nginxRunning: lbLink?.state === 'up' ? (lbLink.balancer?.nginx.running ?? null) : null } : null,
          problems,
        },
        devices: tx
          .all<{ name: string; address: string; public_key: string }>('SELECT name, address, public_key FROM devices WHERE location_id = ? ORDER BY name', loc.id)
          .map((d) => {
            const s = stats.get(d.public_key);
            return {
              name: d.name,
              address: d.address,
              publicKey: d.public_key,
              endpoint: s?.endpoint ?? null,
              latestHandshake: s && s.latestHandshake > 0 ? new Date(s.latestHandshake * 1000).toISOString() : null,
              rxBytes: s?.rxBytes ?? null,
              txBytes: s?.txBytes ?? null,
              gateway: s?.gateway ?? null,
              session: sessions.has(d.public_key) ? { id: sessions.get(d.public_key)!.id, startedAt: sessions.get(d.public_key)!.startedAt, startedBy: sessions.get(d.public_key)!.startedBy } : null,
            };
          }),
      };
    });
  }

  /**
   * A balancer's heartbeat: each gateway that went out of rotation or came back is an event
   * (balancer.gateway_out / balancer.gateway_in, with the reason), and so is nginx failing.
   * The first heartbeat of a link only says where things stand, unless it differs from what
   * the last link saw.
   */
  rotationChanged(link: Link, was: BalancerView | null, now: BalancerView): void {
    const key = link.target.agent;
    const before = was ?? this.lastRotation.get(key) ?? null;
    this.lastRotation.set(key, now);
    if (!before) return;
    const old = new Map(before.locations.flatMap((l) => l.gateways.map((g) => [`${l.location}/${g.host}`, g] as const)));
    const events: NewEvent[] = [];
    for (const l of now.locations) {
      for (const g of l.gateways) {
        const had = old.get(`${l.location}/${g.host}`);
        if (had && had.inRotation !== g.inRotation) {
          events.push({ kind: g.inRotation ? 'balancer.gateway_in' : 'balancer.gateway_out', subject: `location:${l.location}`, details: { location: l.location, gateway: g.host, balancer: link.target.host, reason: g.reason, since: g.since } });
        }
      }
    }
    if (now.nginx.error !== before.nginx.error && now.nginx.error) {
      events.push({ kind: 'balancer.nginx_failed', subject: `agent:${key}`, details: { host: link.target.host, error: now.nginx.error } });
    }
    if (events.length === 0) return;
    try {
      this.store.write((tx) => {
        for (const e of events) tx.event(e);
      });
    } catch {
      // the balancer's journal has it too
    }
  }

  /**
   * Manual failback: asks the location's balancer to put a gateway that passes its checks
   * again back into rotation, and waits (up to 5 s) until its heartbeat says it did.
   */
  async releaseGateway(location: string, gateway: string): Promise<LocationStatus> {
    const loc = this.store.read((tx) =>
      tx.get<{ name: string; failover_mode: string; failover_lb_failback: string | null; lb_host: string | null; is_gateway: number }>(
        `SELECT l.name, l.failover_mode, l.failover_lb_failback, (SELECT h.name FROM hosts h WHERE h.id = l.failover_lb_host_id) AS lb_host,
           EXISTS (SELECT 1 FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = l.id AND h.name = ?) AS is_gateway
         FROM locations l WHERE l.name = ?`,
        gateway,
        location,
      ),
    );
    if (!loc) throw BulwarkError.field('name', `no location named ${JSON.stringify(location)}; see "bulwark location list"`, 'not_found');
    if (loc.failover_mode !== 'lb' || !loc.lb_host) throw BulwarkError.field('name', `location ${loc.name} does not use a load balancer; nothing to release`);
    if (loc.failover_lb_failback !== 'manual') throw BulwarkError.field('name', `location ${loc.name} fails back by itself (failback auto): a gateway returns to rotation once it passes its checks`);
    if (loc.is_gateway !== 1) throw BulwarkError.field('gateway', `${gateway} is not a gateway of location ${loc.name}; see "bulwark gateway list --location ${loc.name}"`, 'not_found');
    const link = this.links.get(agentSubject('balancer', loc.lb_host));
    if (!link || link.state !== 'up') throw new BulwarkError('unavailable', `Core has no link with the load balancer ${loc.lb_host} (${link?.reason ?? 'not provisioned yet'}); try again when "bulwark status" shows it up`);
    const entry = () => link.balancer?.locations.find((l) => l.location === loc.name)?.gateways.find((g) => g.host === gateway);
    const now = entry();
    if (now?.inRotation) return this.locationStatus(loc.name);
    if (now?.healthy !== true) throw BulwarkError.field('gateway', `${gateway} fails the load balancer's health check (${now?.reason ?? 'not checked yet'}); it can return once it passes`);
    link.send({ type: 'release', location: loc.name, host: gateway });
    const deadline = Date.now() + 5000;
    while (!entry()?.inRotation) {
      if (Date.now() > deadline || link.state !== 'up') throw new BulwarkError('unavailable', `the load balancer ${loc.lb_host} did not confirm within 5 s; see "journalctl -u bulwark-balancer" there`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.locationStatus(loc.name);
  }

  /** Each balancer's last rotation, kept across its link's drops (so a change while Core was away still shows as an event). */
  private readonly lastRotation = new Map<string, BalancerView>();

  refusedByAgent(link: Link, reason: string): void {
    this.linkProblem(link, `the agent refused a message: ${reason}`, 'agent');
  }

  /** Something on an up link failed (the link stays): an event that says what and who. */
  private linkProblem(link: Link, reason: string, by: 'agent' | 'core'): void {
    try {
      this.store.write((tx) => tx.event({ kind: 'link.refused', subject: `agent:${link.target.agent}`, details: { host: link.target.host, role: link.target.role, reason, by } }));
    } catch {
      // visible in the agent's log too
    }
  }

  stop(): void {
    this.running = false;
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const l of this.links.values()) l.stop();
    this.links.clear();
  }
}
