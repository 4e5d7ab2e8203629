// What the gateway last applied, kept on its host (systemd's StateDirectory), so that after a
// restart, with or without Core, it brings every location's peers back as they were, and keeps
// the MFA sessions it expired until Core has heard of them.
//
// On disk: state.json, a snapshot, and state.log, one JSON line per change since the snapshot.
// A change costs one short append, whatever the number of peers (a 10,000-peer snapshot is a
// megabyte); the log is folded into a new snapshot once it holds more lines than there are peers.
// Every line is idempotent, so replaying a log that a crash left behind a newer snapshot is safe,
// and a torn last line is ignored.
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WgPeer } from '../../src-main/contract/index.js';

const Policy = z.object({ mfa: z.boolean(), disconnectThreshold: z.number().int() });
export type Policy = z.infer<typeof Policy>;

/** A peer as applied, with when this gateway applied it (unix seconds): an MFA peer's idle clock starts there. */
const PeerEntry = WgPeer.extend({ appliedAt: z.number().int() });
export type PeerEntry = z.infer<typeof PeerEntry>;

/** An MFA session this gateway ended for idleness; kept until Core acknowledges it, and never re-applied until then. */
const Expired = z.object({ session: z.number().int(), publicKey: z.string(), lastActivity: z.number().int(), at: z.string() });
export type Expired = z.infer<typeof Expired>;

const LocationSnapshot = z.object({
  revision: z.number().int(),
  /** From Core's last full set; null before the first one (the config file's values apply). */
  policy: Policy.nullable().default(null),
  peers: z.array(PeerEntry),
  expired: z.array(Expired).default([]),
});

const Snapshot = z.object({ version: z.literal(2), locations: z.record(z.string(), LocationSnapshot) });
/** What 0.1.0 agents wrote: peers without sessions or times. */
const SnapshotV1 = z.object({ version: z.literal(1), locations: z.record(z.string(), z.object({ revision: z.number().int(), peers: z.array(WgPeer) })) });

const Op = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set'), loc: z.string(), peer: PeerEntry }),
  z.object({ op: z.literal('del'), loc: z.string(), key: z.string() }),
  z.object({ op: z.literal('meta'), loc: z.string(), revision: z.number().int(), policy: Policy.nullable() }),
  z.object({ op: z.literal('expire'), loc: z.string(), entry: Expired }),
  z.object({ op: z.literal('ack'), loc: z.string(), sessions: z.array(z.number().int()) }),
  z.object({ op: z.literal('drop'), loc: z.string() }),
]);
type Op = z.infer<typeof Op>;

export interface LocationState {
  revision: number;
  policy: Policy | null;
  peers: Map<string, PeerEntry>;
  expired: Map<number, Expired>;
}

const emptyLocation = (): LocationState => ({ revision: 0, policy: null, peers: new Map(), expired: new Map() });

export class GatewayState {
  readonly locations = new Map<string, LocationState>();
  private logLines = 0;
  readonly snapshotPath: string;
  readonly logPath: string;

  private constructor(
    dir: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.snapshotPath = join(dir, 'state.json');
    this.logPath = join(dir, 'state.log');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      onError(err as Error);
    }
  }

  /** Reads the snapshot and replays the log; what is missing or damaged starts empty (Core resends peers). */
  static load(dir: string, onError: (err: Error) => void, nowS: number): GatewayState {
    const st = new GatewayState(dir, onError);
    let text: string | null = null;
    try {
      text = readFileSync(st.snapshotPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(new Error(`cannot read state.json (${(err as Error).message}); starting without it`));
    }
    if (text !== null) {
      try {
        const raw = JSON.parse(text) as { version?: number };
        if (raw.version === 1) {
          for (const [name, l] of Object.entries(SnapshotV1.parse(raw).locations)) {
            st.locations.set(name, { ...emptyLocation(), revision: l.revision, peers: new Map(l.peers.map((p) => [p.publicKey, { ...p, appliedAt: nowS }])) });
          }
        } else {
          for (const [name, l] of Object.entries(Snapshot.parse(raw).locations)) {
            st.locations.set(name, { revision: l.revision, policy: l.policy, peers: new Map(l.peers.map((p) => [p.publicKey, p])), expired: new Map(l.expired.map((e) => [e.session, e])) });
          }
        }
      } catch (err) {
        onError(new Error(`state.json is damaged (${(err as Error).message.slice(0, 200)}); starting without it`));
      }
    }
    let log = '';
    try {
      log = readFileSync(st.logPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(new Error(`cannot read state.log (${(err as Error).message})`));
    }
    const lines = log.split('\n').filter(Boolean);
    lines.forEach((line, i) => {
      try {
        st.apply(Op.parse(JSON.parse(line)));
        st.logLines += 1;
      } catch {
        if (i < lines.length - 1) onError(new Error(`state.log line ${i + 1} is damaged; skipped`)); // the last one may be torn by a crash
      }
    });
    return st;
  }

  location(name: string): LocationState {
    let l = this.locations.get(name);
    if (!l) this.locations.set(name, (l = emptyLocation()));
    return l;
  }

  peerCount(): number {
    let n = 0;
    for (const l of this.locations.values()) n += l.peers.size;
    return n;
  }

  private apply(op: Op): void {
    if (op.op === 'drop') {
      this.locations.delete(op.loc);
      return;
    }
    const l = this.location(op.loc);
    if (op.op === 'set') l.peers.set(op.peer.publicKey, op.peer);
    else if (op.op === 'del') l.peers.delete(op.key);
    else if (op.op === 'meta') {
      l.revision = op.revision;
      l.policy = op.policy;
    } else if (op.op === 'expire') l.expired.set(op.entry.session, op.entry);
    else for (const s of op.sessions) l.expired.delete(s);
  }

  /** Applies changes and appends them to the log (folding it into a snapshot when it has grown). */
  record(ops: Op[]): void {
    for (const op of ops) this.apply(op);
    if (ops.length === 0) return;
    if (this.logLines + ops.length > Math.max(1000, this.peerCount())) {
      this.compact();
      return;
    }
    try {
      appendFileSync(this.logPath, ops.map((op) => `${JSON.stringify(op)}\n`).join(''), { mode: 0o600 });
      this.logLines += ops.length;
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** Replaces everything of one location (a full set from Core): one new snapshot instead of a long log. */
  replace(name: string, next: LocationState): void {
    this.locations.set(name, next);
    this.compact();
  }

  /** Writes a snapshot of everything and empties the log. */
  compact(): void {
    const locations: z.input<typeof Snapshot>['locations'] = {};
    for (const [name, l] of this.locations) locations[name] = { revision: l.revision, policy: l.policy, peers: [...l.peers.values()], expired: [...l.expired.values()] };
    try {
      writeFileSync(`${this.snapshotPath}.new`, JSON.stringify({ version: 2, locations }), { mode: 0o600 });
      renameSync(`${this.snapshotPath}.new`, this.snapshotPath);
      writeFileSync(this.logPath, '', { mode: 0o600 });
      this.logLines = 0;
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

export type { Op as StateOp };
