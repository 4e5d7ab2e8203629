// Connecting through an edge in an MFA location: the device's connect link names it by an
// opaque id (not its name or row number, so links cannot be guessed); a current TOTP code,
// used once, starts its session. Wrong codes count against the device and the client address
// in Core. Waiting for the gateways to confirm the peer is the relay's (src-main/edge).
import type { EdgeCallInput, EdgeCallOutput, Session } from '../../contract/index.js';
import type { Store, Tx } from '../../store/db.js';
import type { CorePorts } from '../ports.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { SessionService } from '../sessions/session-service.js';
import { lockedError, PublicError } from './public-error.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { checkTotp } from './totp.js';
import { TOTP_PURPOSE } from './enrollment-service.js';

interface ConnectRow {
  id: number;
  name: string;
  location: string;
  mfa: number;
  disconnect_threshold: number;
  totp_secret_enc: Buffer | null;
  totp_last_step: number | null;
  enabled: number;
}

const SELECT = `SELECT d.id, d.name, l.name AS location, l.mfa, l.disconnect_threshold, d.totp_secret_enc, d.totp_last_step, d.enabled
  FROM devices d JOIN locations l ON l.id = d.location_id WHERE d.connect_id = ?`;

type Outcome<T> = { ok: T } | { error: PublicError };

export class ConnectService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly secrets: SecretBox,
    private readonly sessions: SessionService,
    private readonly limiter: AttemptLimiter,
  ) {}

  lookup(input: EdgeCallInput<'connect.lookup'>, client: string): EdgeCallOutput<'connect.lookup'> {
    return this.run((tx, nowMs) => {
      const d = this.device(tx, input.device, client, nowMs);
      if ('error' in d) return d;
      return { ok: { location: d.ok.location, device: d.ok.name, disconnectThreshold: d.ok.disconnect_threshold } };
    });
  }

  /** Checks the code and starts the session; the caller waits for the gateways. */
  start(input: EdgeCallInput<'connect'>, client: string): { session: Session; disconnectThreshold: number } {
    return this.run((tx, nowMs) => {
      const found = this.device(tx, input.device, client, nowMs);
      if ('error' in found) return found;
      const d = found.ok;
      const subject = `${d.location}/${d.name}`;
      const lock = this.limiter.locked(tx, 'device', subject, nowMs) ?? this.limiter.locked(tx, 'address', client, nowMs);
      if (lock) return { error: lockedError(lock.retryAfterSeconds, 'Too many wrong codes.') };
      if (d.mfa !== 1) return { error: new PublicError('conflict', `Location ${d.location} no longer asks for a code: your device is connected whenever its tunnel is up.`) };
      if (!d.totp_secret_enc) return { error: new PublicError('no_authenticator', 'This device has no authenticator set up. Ask your administrator for a new invite.') };
      const check = checkTotp(this.secrets.open(d.totp_secret_enc, TOTP_PURPOSE), input.code, nowMs, d.totp_last_step);
      if (!check.ok) {
        tx.event({ kind: 'mfa.failed', subject: `device:${subject}`, details: { location: d.location, device: d.name, reason: check.reason, client } });
        const locked = this.limiter.fail(tx, 'device', subject, nowMs) ?? this.limiter.fail(tx, 'address', client, nowMs);
        if (locked) return { error: lockedError(locked.retryAfterSeconds, 'Too many wrong codes.') };
        return {
          error:
            check.reason === 'code_reused'
              ? new PublicError('code_reused', 'That code was already used. Wait for your app to show the next one, then type it.', 'code')
              : new PublicError('bad_code', 'That code is not right. Check that the time on your phone is set automatically, and type the code your app shows now.', 'code'),
        };
      }
      this.limiter.succeed('device', subject);
      tx.run('UPDATE devices SET totp_last_step = ? WHERE id = ?', check.step, d.id);
      return { ok: { session: this.sessions.start(d.location, d.name), disconnectThreshold: d.disconnect_threshold } };
    });
  }

  /** What the gateways said about a session's peer: an event. */
  confirmed(session: Session, gateways: EdgeCallOutput<'connect'>['gateways'], tookMs: number, client: string): void {
    const confirmed = gateways.filter((g) => g.confirmed).map((g) => g.host);
    const missing = gateways.filter((g) => !g.confirmed).map((g) => g.host);
    this.store.write((tx) =>
      tx.event({ kind: 'connect.confirmed', subject: `device:${session.location}/${session.device}`, details: { location: session.location, device: session.device, session: session.id, confirmed, missing, tookMs, client } }),
    );
  }

  private device(tx: Tx, connectId: string, client: string, nowMs: number): Outcome<ConnectRow> {
    const lock = this.limiter.locked(tx, 'address', client, nowMs);
    if (lock) return { error: lockedError(lock.retryAfterSeconds, 'Too many failed attempts from your network.') };
    const row = tx.get<ConnectRow>(SELECT, connectId);
    // Before any code is checked: a disabled device burns no attempts and learns nothing more.
    if (row?.enabled === 0) return { error: new PublicError('conflict', 'This device is disabled: it cannot connect until your administrator enables it again.') };
    if (row) return { ok: row };
    const locked = this.limiter.fail(tx, 'address', client, nowMs);
    if (locked) return { error: lockedError(locked.retryAfterSeconds, 'Too many failed attempts from your network.') };
    return { error: new PublicError('device_unknown', 'This connect link is not known: the device may have been removed. Ask your administrator.', 'device') };
  }

  private run<T>(fn: (tx: Tx, nowMs: number) => Outcome<T>): T {
    const outcome = this.store.write((tx) => fn(tx, this.ports.now().getTime()));
    if ('error' in outcome) throw outcome.error;
    return outcome.ok;
  }
}
