// Enrollment through an edge: the person with an invite link looks it up, in an MFA location
// gets an authenticator secret, and sends the public key their browser made (with a first code
// in an MFA location). Only then does the device exist; a failed attempt leaves no device and
// the invite unused. Each step is an event; wrong codes and unknown tokens count against the
// client address (and wrong codes against the invite) in Core, however many edges there are.
import { randomBytes } from 'node:crypto';
import { BulwarkError, type EdgeCallInput, type EdgeCallOutput } from '../../contract/index.js';
import type { Store, Tx } from '../../store/db.js';
import { requireLocation } from '../locations/location-service.js';
import type { CorePorts } from '../ports.js';
import type { SecretBox } from '../keys/secret-box.js';
import { clientConfigModel, type DeviceService } from '../devices/device-service.js';
import { lockedError, PublicError } from './public-error.js';
import { requirePublicName, type InviteRow, type InviteService } from './invite-service.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import { checkTotp, newTotpSecret, TOTP_DIGITS, TOTP_ISSUER, TOTP_PERIOD_S, totpUri } from './totp.js';

export const TOTP_PURPOSE = 'totp-secret';

type Outcome<T> = { ok: T } | { error: PublicError };

export class EnrollmentService {
  /** invite.opened is recorded once per invite and client address per Core run, not for every reload. */
  private readonly opened = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly secrets: SecretBox,
    private readonly invites: InviteService,
    private readonly devices: DeviceService,
    private readonly limiter: AttemptLimiter,
  ) {}

  lookup(input: EdgeCallInput<'invite.lookup'>, client: string): EdgeCallOutput<'invite.lookup'> {
    return this.run((tx, nowMs) => {
      const invite = this.open(tx, input.token, client, nowMs);
      if ('error' in invite) return invite;
      const r = invite.ok;
      const mfa = requireLocation(tx, r.location).mfa === 1;
      if (!this.opened.has(`${r.id} ${client}`)) {
        if (this.opened.size >= 10_000) this.opened.clear(); // at worst an invite.opened event again
        this.opened.add(`${r.id} ${client}`);
        tx.event({ kind: 'invite.opened', subject: `invite:${r.id}`, details: { invite: r.id, location: r.location, device: r.device_name, client } });
      }
      return { ok: { location: r.location, device: r.device_name, mfa, expiresAt: r.expires_at } };
    });
  }

  totp(input: EdgeCallInput<'enroll.totp'>, client: string): EdgeCallOutput<'enroll.totp'> {
    return this.run((tx, nowMs) => {
      const invite = this.open(tx, input.token, client, nowMs);
      if ('error' in invite) return invite;
      const r = invite.ok;
      if (requireLocation(tx, r.location).mfa !== 1) return { error: new PublicError('conflict', `Location ${r.location} does not use a second factor, so there is no authenticator to set up; continue without it.`) };
      let secret: string;
      if (r.totp_secret_enc) secret = this.secrets.open(r.totp_secret_enc, TOTP_PURPOSE);
      else {
        secret = newTotpSecret();
        tx.run('UPDATE invites SET totp_secret_enc = ? WHERE id = ?', this.secrets.seal(secret, TOTP_PURPOSE), r.id);
        tx.event({ kind: 'invite.totp_issued', subject: `invite:${r.id}`, details: { invite: r.id, location: r.location, device: r.device_name, client } });
      }
      const label = `${r.location}/${r.device_name}`;
      return { ok: { secret, uri: totpUri(secret, label), issuer: TOTP_ISSUER, label, digits: TOTP_DIGITS, periodSeconds: TOTP_PERIOD_S } };
    });
  }

  complete(input: EdgeCallInput<'enroll.complete'>, client: string): EdgeCallOutput<'enroll.complete'> {
    return this.run((tx, nowMs) => {
      const invite = this.open(tx, input.token, client, nowMs);
      if ('error' in invite) return invite;
      const r = invite.ok;
      const loc = requireLocation(tx, r.location);
      const mfa = loc.mfa === 1;
      const failed = (reason: string, error: PublicError): { error: PublicError } => {
        tx.event({ kind: 'enroll.failed', subject: `invite:${r.id}`, details: { invite: r.id, location: r.location, device: r.device_name, client, reason } });
        return { error };
      };
      let step: number | null = null;
      let secretEnc: Buffer | null = null;
      if (mfa) {
        const subject = `${r.location}/${r.device_name}`;
        const lock = this.limiter.locked(tx, 'device', subject, nowMs) ?? this.limiter.locked(tx, 'address', client, nowMs);
        if (lock) return failed('locked', lockedError(lock.retryAfterSeconds, 'Too many wrong codes.'));
        if (!r.totp_secret_enc) return failed('no_authenticator', new PublicError('no_authenticator', 'Set up the authenticator first: this page shows its QR code before it asks for a code.', 'code'));
        if (input.code === undefined) return failed('no_code', new PublicError('invalid_input', 'Type the six-digit code your authenticator app shows, so we know it is set up right.', 'code'));
        const check = checkTotp(this.secrets.open(r.totp_secret_enc, TOTP_PURPOSE), input.code, nowMs, null);
        if (!check.ok) {
          const lockNow = this.limiter.fail(tx, 'device', subject, nowMs) ?? this.limiter.fail(tx, 'address', client, nowMs);
          if (lockNow) return failed('locked', lockedError(lockNow.retryAfterSeconds, 'Too many wrong codes.'));
          return failed('bad_code', new PublicError('bad_code', 'That code is not right. Check that the time on your phone is set automatically, and type the code your app shows now.', 'code'));
        }
        this.limiter.succeed('device', subject);
        step = check.step;
        secretEnc = r.totp_secret_enc;
      }
      let added;
      try {
        added = this.devices.add({ location: r.location, name: r.device_name, publicKey: input.publicKey });
      } catch (err) {
        // A name taken since the invite was made, a key another device has, a full address pool: say which, make nothing.
        if (!(err instanceof BulwarkError) || err.code === 'internal') throw err;
        const advice = err.field === 'publicKey' ? 'Reload the page: it makes a new key pair.' : 'Ask your administrator for a new invite.';
        return failed('device', new PublicError('conflict', `The device could not be made: ${err.message.replace(/^[a-zA-Z.]+: /, '')}. ${advice}`, err.field === 'publicKey' ? 'publicKey' : null));
      }
      const connectId = mfa ? randomBytes(16).toString('base64url') : null;
      tx.run('UPDATE devices SET connect_id = ?, totp_secret_enc = ?, totp_last_step = ? WHERE location_id = ? AND name = ?', connectId, secretEnc, step, loc.id, r.device_name);
      tx.run('UPDATE invites SET used_at = ?, device_id = (SELECT id FROM devices WHERE location_id = ? AND name = ?) WHERE id = ?', new Date(nowMs).toISOString(), loc.id, r.device_name, r.id);
      tx.event({ kind: 'invite.used', subject: `invite:${r.id}`, details: { invite: r.id, location: r.location, device: r.device_name, client, address: added.device.address } });
      const publicName = requirePublicName(tx);
      return {
        ok: {
          location: r.location,
          device: r.device_name,
          mfa,
          config: clientConfigModel(loc, added.device),
          connectUrl: connectId ? `https://${publicName}/connect/${connectId}` : null,
        },
      };
    });
  }

  /** The open invite, or the refusal; an unknown token counts against the client address. */
  private open(tx: Tx, token: string, client: string, nowMs: number): Outcome<InviteRow> {
    const lock = this.limiter.locked(tx, 'address', client, nowMs);
    if (lock) return { error: lockedError(lock.retryAfterSeconds, 'Too many failed attempts from your network.') };
    const found = this.invites.openInvite(tx, token, client, nowMs);
    if ('invite' in found) return { ok: found.invite };
    if (found.unknown) {
      const locked = this.limiter.fail(tx, 'address', client, nowMs);
      if (locked) return { error: lockedError(locked.retryAfterSeconds, 'Too many failed attempts from your network.') };
    }
    return { error: found.refused };
  }

  /** One transaction: a refusal commits its events and counts, then is thrown; a success commits everything. */
  private run<T>(fn: (tx: Tx, nowMs: number) => Outcome<T>): T {
    const outcome = this.store.write((tx) => fn(tx, this.ports.now().getTime()));
    if ('error' in outcome) throw outcome.error;
    return outcome.ok;
  }
}
