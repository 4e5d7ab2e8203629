// One control link: Core dials the agent (WebSocket over mutual TLS), checks who answers,
// says welcome, watches for silence, and redials with exponential backoff and jitter. It
// carries messages and keeps only what links.list shows; what the messages mean is for the
// modules that subscribe to them through the LinkHub.
import type { PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import { AgentMessage, LINK_PROTOCOL, LINK_SUBPROTOCOL, type CoreMessage, type LinkState } from '../contract/index.js';
import type { AgentRole } from '../core/pki/pki-service.js';
import { normalSerial } from '../core/pki/pki-service.js';
import { bracketHost } from '../net/endpoint.js';
import { down, linkErrorOf, refused, type LinkError } from './link-error.js';

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

/** An agent Core should have a link with. */
export interface Target {
  /** Its certificate's subject, "<role>:<host>". */
  agent: string;
  host: string;
  role: AgentRole;
  address: string;
  port: number;
}

export type AgentHeartbeat = Extract<AgentMessage, { type: 'heartbeat' }>;

/** What a Link needs from whoever keeps it (the LinkHub). */
export interface LinkOwner {
  readonly settings: LinkSettings;
  now(): string;
  clientTls(): Promise<{ ca: string; cert: string; key: string }>;
  /** Undefined when the certificate names this agent and is one Core issued and has not revoked. */
  checkAgentCert(t: Target, cert: PeerCertificate): LinkError | undefined;
  /** The link's state (or, while up, its agent's health: healthWas is what it was, null before the first report) changed. */
  changed(link: Link, was: LinkState['state'], healthWas?: boolean | null): void;
  /** Every message that parsed, after the link took what it keeps. */
  deliver(link: Link, msg: AgentMessage): void;
}

export class Link {
  state: LinkState['state'] = 'connecting';
  since: string;
  reason: string | null = null;
  healthy: boolean | null = null;
  agentVersion: string | null = null;
  wireguardMode: 'kernel' | 'wireguard-go' | null = null;
  configSha256: string | null = null;
  badMessages = 0;
  /** The certificate the agent presented in this link's TLS handshake. */
  certificate: { serial: string; notAfter: string } | null = null;
  /** The agent's last heartbeat on this link; null before one and after the link fails. */
  heartbeat: AgentHeartbeat | null = null;
  readonly applied = new Map<string, { revision: number; peers: number }>();
  private ws: WebSocket | null = null;
  private retry: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(
    readonly target: Target,
    private readonly owner: LinkOwner,
  ) {
    this.since = owner.now();
    void this.dial();
  }

  view(): LinkState {
    const t = this.target;
    return { agent: t.agent, host: t.host, role: t.role, state: this.state, since: this.since, reason: this.reason, healthy: this.state === 'up' ? this.healthy : null, agentVersion: this.agentVersion, wireguardMode: this.wireguardMode, configSha256: this.configSha256, badMessages: this.badMessages, certificate: this.certificate, applied: [...this.applied].map(([location, a]) => ({ location, ...a })) };
  }

  /** Sends when the link is up; a message lost to a dropped link is resent as a full sync on reconnect. */
  send(m: CoreMessage): void {
    if (this.state === 'up' && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  /**
   * Dials now instead of after the backoff, which may be 15 s after a long outage: Core knows the
   * agent was just (re)installed, so it is worth trying at once. Does nothing on an up link.
   */
  redialNow(): void {
    if (this.stopped || !this.retry) return;
    clearTimeout(this.retry);
    this.retry = null;
    this.failures = 0;
    void this.dial();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.drop();
  }

  /** Moves to a state; the owner hears of it when the state or its reason changes. */
  private set(state: LinkState['state'], reason: string | null): void {
    if (state === this.state && reason === this.reason) return;
    const was = this.state;
    if (state !== was) this.since = this.owner.now();
    this.state = state;
    this.reason = reason;
    this.owner.changed(this, was);
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    const t = this.target;
    let tls: { ca: string; cert: string; key: string };
    try {
      tls = await this.owner.clientTls();
    } catch (err) {
      this.fail(refused(`Core has no client certificate: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (this.stopped) return;
    const ws = new WebSocket(`wss://${bracketHost(t.address)}:${t.port}/`, LINK_SUBPROTOCOL, {
      ...tls,
      handshakeTimeout: 5000,
      maxPayload: 4 * 1024 * 1024,
      // The chain is checked against Core's CA by TLS; this checks who it is and revocation.
      // (ws hands it to tls.connect; @types/ws types it as the unrelated WebSocket option.)
      ...({
        checkServerIdentity: (_name: string, cert: PeerCertificate) => {
          const wrong = this.owner.checkAgentCert(t, cert);
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
    } catch {
      // Counted (links.list shows it) and dropped; the link stays.
      this.badMessages += 1;
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
      this.configSha256 = msg.configSha256;
      this.failures = 0;
      this.set('up', null);
      this.send({ type: 'welcome', protocol: LINK_PROTOCOL, heartbeatMs: this.owner.settings.heartbeatMs, statsMs: this.owner.settings.statsMs });
    } else if (msg.type === 'applied') {
      this.applied.set(msg.location, { revision: msg.revision, peers: msg.peers });
    }
    const healthChanged = msg.type === 'heartbeat' && msg.healthy !== this.healthy;
    this.owner.deliver(this, msg);
    if (msg.type === 'heartbeat') {
      // After delivery, so a subscriber still sees the heartbeat before this one. A heartbeat
      // without a part (no vrrp, no balancer) leaves the last one said.
      this.heartbeat = { ...msg, vrrp: msg.vrrp ?? this.heartbeat?.vrrp, balancer: msg.balancer ?? this.heartbeat?.balancer, edge: msg.edge ?? this.heartbeat?.edge };
      if (healthChanged) {
        const healthWas = this.healthy;
        this.healthy = msg.healthy;
        if (this.state === 'up') this.owner.changed(this, 'up', healthWas);
      }
    }
  }

  /** Any message from the agent proves it alive; silence for downAfterMs ends the link. */
  private kick(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.fail(down(`no heartbeat for ${this.owner.settings.downAfterMs} ms`)), this.owner.settings.downAfterMs);
  }

  private drop(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.removeAllListeners();
    ws?.on('error', () => undefined);
    ws?.terminate();
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    this.drop();
    if (this.retry) return; // already failed once for this dial
    const { state, message } = linkErrorOf(err);
    this.healthy = null;
    this.heartbeat = null;
    this.applied.clear();
    this.set(state, message);
    this.failures += 1;
    const s = this.owner.settings;
    const base = Math.min(s.maxBackoffMs, s.minBackoffMs * 2 ** Math.min(this.failures - 1, 16));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.dial();
    }, delay);
  }
}
