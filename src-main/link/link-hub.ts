// link/: Core's end of the control links. link.ts is one link (dial, identity, heartbeats,
// backoff), this hub keeps one per provisioned agent and lets other modules subscribe to the
// agents' messages by type and to state changes, and send. Peer sync, session relay and
// certificate renewal (here), the status read model (status/) and the balancer's events
// (failover/) are such subscribers. Imports contract/, store/ and core/pki; system/ builds it.
import type { PeerCertificate } from 'node:tls';
import type { AgentMessage, LinkState } from '../contract/index.js';
import { CONTROL_PORT } from '../contract/host-layout.js';
import type { Store } from '../store/db.js';
import { agentRolesOf, provisionedHosts } from '../store/queries.js';
import { callContext } from '../core/context.js';
import type { CorePorts } from '../core/ports.js';
import { agentSubject, type PkiService } from '../core/pki/pki-service.js';
import { refused, type LinkError } from './link-error.js';
import { Link, type LinkOwner, type LinkSettings, type Target } from './link.js';

export type AgentMessageOf<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;
type Listener = (link: Link, msg: AgentMessage) => void;

export class LinkHub implements LinkOwner {
  private readonly links = new Map<string, Link>();
  private readonly messageListeners = new Map<AgentMessage['type'], Set<Listener>>();
  private readonly stateListeners = new Set<(link: Link, was: LinkState['state']) => void>();
  private tlsCache: { expires: number; value: Promise<{ ca: string; cert: string; key: string }> } | null = null;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly pki: PkiService,
    private readonly ports: CorePorts,
    readonly settings: LinkSettings,
  ) {
    this.onMessage('refused', (link, m) => this.problem(link, `the agent refused a message: ${m.reason}`, 'agent'));
  }

  now(): string {
    return this.ports.now().toISOString();
  }

  /** Starts dialling the agents; call sync() again whenever roles or provisioning change. */
  start(): void {
    this.running = true;
    this.sync();
  }

  /** Ends every link; subscriptions stay, for a later start(). */
  stop(): void {
    this.running = false;
    for (const l of this.links.values()) l.stop();
    this.links.clear();
  }

  /** Calls fn with every message of this type from any agent; returns the unsubscribe. */
  onMessage<T extends AgentMessage['type']>(type: T, fn: (link: Link, msg: AgentMessageOf<T>) => void): () => void {
    const set = this.messageListeners.get(type) ?? new Set<Listener>();
    this.messageListeners.set(type, set);
    const isOfType = (m: AgentMessage): m is AgentMessageOf<T> => m.type === type;
    const listener: Listener = (link, msg) => {
      if (isOfType(msg)) fn(link, msg);
    };
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Calls fn after a link's state changed (or, while up, its agent's health). */
  onDidChangeState(fn: (link: Link, was: LinkState['state']) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  deliver(link: Link, msg: AgentMessage): void {
    for (const fn of this.messageListeners.get(msg.type) ?? []) fn(link, msg);
  }

  changed(link: Link, was: LinkState['state'], healthWas?: boolean | null): void {
    const v = link.view();
    const kind = v.state === 'up' ? 'link.up' : v.state === 'refused' ? 'link.refused' : 'link.down';
    // The audit trail records each change of state once, and an up agent turning (un)healthy; an
    // agent's first health report, or a link that stays down with a new reason on the next dial,
    // is news for the live views only (not a second link.up or link.down).
    if (v.state !== was || (healthWas !== undefined && healthWas !== null)) {
      try {
        // Core's own observation: never the actor of whatever request last touched the link
        // (a socket's callbacks keep the context of the call that dialled it).
        callContext.exit(() => this.store.write((tx) => tx.event({ kind, subject: `agent:${v.agent}`, details: { host: v.host, role: v.role, reason: v.reason, healthy: v.healthy, was } })));
      } catch {
        // a state change that cannot be stored is still visible in links.list
      }
    }
    for (const fn of this.stateListeners) fn(link, was);
  }

  /** Something on an up link failed (the link stays): an event that says what and who. */
  problem(link: Link, reason: string, by: 'agent' | 'core'): void {
    try {
      callContext.exit(() => this.store.write((tx) => tx.event({ kind: 'link.refused', subject: `agent:${link.target.agent}`, details: { host: link.target.host, role: link.target.role, reason, by } })));
    } catch {
      // visible in the agent's log too
    }
  }

  /** After an apply on the host: its links that wait out a backoff dial at once. */
  redial(host: string): void {
    for (const l of this.links.values()) if (l.target.host === host) l.redialNow();
  }

  /** The link with one agent ("<role>:<host>"), if Core should have it. */
  get(agent: string): Link | undefined {
    return this.links.get(agent);
  }

  /** Every link, in no particular order. */
  all(): Link[] {
    return [...this.links.values()];
  }

  list(): LinkState[] {
    return this.all()
      .map((l) => l.view())
      .sort((a, b) => (a.agent < b.agent ? -1 : 1));
  }

  /** Brings the links in line with the agents Core should have a link with. */
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

  /** Every role of every provisioned host. */
  private targets(): Target[] {
    return this.store.read((tx) =>
      provisionedHosts(tx).flatMap((h) =>
        agentRolesOf(h.roles).map((role) => ({ agent: agentSubject(role, h.name), host: h.name, role, address: h.ssh_address, port: CONTROL_PORT[role] })),
      ),
    );
  }

  clientTls(): Promise<{ ca: string; cert: string; key: string }> {
    if (!this.tlsCache || this.tlsCache.expires < Date.now()) {
      const value = Promise.all([this.pki.caPem(), this.pki.coreCert()]).then(([ca, c]) => ({ ca, cert: c.certPem, key: c.keyPem }));
      this.tlsCache = { expires: Date.now() + 3600_000, value };
      value.catch(() => (this.tlsCache = null));
    }
    return this.tlsCache.value;
  }

  checkAgentCert(t: Target, cert: PeerCertificate): LinkError | undefined {
    const cn = cert.subject?.CN;
    if (cn !== t.agent) return refused(`the agent at ${t.address}:${t.port} presents a certificate for ${String(cn)}, not ${t.agent}`);
    const known = this.pki.lookup(cert.serialNumber);
    if (!known) return refused(`the agent's certificate (serial ${cert.serialNumber}) was not issued by this Core`);
    if (known.revokedAt) return refused(`the agent's certificate was revoked at ${known.revokedAt} (${known.reason ?? 'no reason given'})`);
    return undefined;
  }
}
