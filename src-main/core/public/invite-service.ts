// Invites: a one-time link on the edges' public name that makes one named device in one
// location. The token (32 random bytes) is in the link's fragment, so no proxy or access log
// sees it; Core keeps only its SHA-256. An invite is open until used, revoked or expired.
import { createHash, randomBytes } from 'node:crypto';
import { BulwarkError, type Invite, type ProcOutput, type ProcParsedInput } from '../../contract/index.js';
import type { Store, Tx } from '../../store/db.js';
import { requireLocation } from '../locations/location-service.js';
import type { CorePorts } from '../ports.js';
import { currentActor } from '../context.js';
import { PublicError } from './public-error.js';

export const DEFAULT_INVITE_SECONDS = 24 * 3600;

export interface InviteRow {
  id: number;
  location_id: number;
  location: string;
  device_name: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
  totp_secret_enc: Buffer | null;
}

const SELECT = `SELECT i.id, i.location_id, l.name AS location, i.device_name, i.created_at, i.created_by, i.expires_at, i.used_at, i.revoked_at, i.totp_secret_enc
  FROM invites i JOIN locations l ON l.id = i.location_id`;

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

function stateOf(r: InviteRow, nowMs: number): Invite['state'] {
  if (r.used_at) return 'used';
  if (r.revoked_at) return 'revoked';
  return Date.parse(r.expires_at) <= nowMs ? 'expired' : 'open';
}

const toInvite = (r: InviteRow, nowMs: number): Invite => ({
  id: r.id,
  location: r.location,
  device: r.device_name,
  state: stateOf(r, nowMs),
  createdAt: r.created_at,
  createdBy: r.created_by,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

/** The public name an invite link is on, or an error that says how to set it. */
export function requirePublicName(tx: Tx, field = 'location'): string {
  const row = tx.get<{ public_name: string }>('SELECT public_name FROM edge_settings WHERE id = 1');
  if (!row) throw BulwarkError.field(field, 'the edges have no public name yet, so an invite link has nowhere to point; set it with "bulwark edge balancer --host H --public-name vpn.example.com" (or "bulwark edge public-name NAME" if you run your own proxy)', 'invalid_input');
  return row.public_name;
}

export class InviteService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  create(input: ProcParsedInput<'invites.create'>): ProcOutput<'invites.create'> {
    const token = randomBytes(32).toString('base64url');
    const now = this.ports.now();
    const expiresAt = new Date(now.getTime() + (input.expires ?? DEFAULT_INVITE_SECONDS) * 1000).toISOString();
    return this.store.write((tx) => {
      const loc = requireLocation(tx, input.location);
      const publicName = requirePublicName(tx);
      if (tx.get('SELECT 1 FROM devices WHERE location_id = ? AND name = ?', loc.id, input.name)) {
        throw BulwarkError.field('name', `location ${loc.name} already has a device named ${JSON.stringify(input.name)}; choose another name, or remove that device first`, 'already_exists');
      }
      const open = tx.get<{ id: number }>('SELECT id FROM invites WHERE location_id = ? AND device_name = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?', loc.id, input.name, now.toISOString());
      if (open) throw BulwarkError.field('name', `invite ${open.id} for ${JSON.stringify(input.name)} in ${loc.name} is still open; revoke it first ("bulwark invite revoke ${open.id}") or choose another name`, 'already_exists');
      const r = tx.run(
        'INSERT INTO invites (location_id, device_name, token_sha256, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        loc.id,
        input.name,
        tokenHash(token),
        now.toISOString(),
        currentActor(),
        expiresAt,
      );
      const id = Number(r.lastInsertRowid);
      tx.event({ kind: 'invite.created', subject: `invite:${id}`, details: { invite: id, location: loc.name, device: input.name, expiresAt } });
      return { invite: toInvite(tx.get<InviteRow>(`${SELECT} WHERE i.id = ?`, id) as InviteRow, now.getTime()), url: `https://${publicName}/enroll#${token}` };
    });
  }

  list(input: ProcParsedInput<'invites.list'>): Invite[] {
    const nowMs = this.ports.now().getTime();
    return this.store.read((tx) => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (input.location !== undefined) {
        where.push('i.location_id = ?');
        args.push(requireLocation(tx, input.location).id);
      }
      if (!input.all) {
        where.push('i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?');
        args.push(new Date(nowMs).toISOString());
      }
      const sql = `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY i.id DESC LIMIT 200`;
      return tx.all<InviteRow>(sql, ...(args as (string | number)[])).map((r) => toInvite(r, nowMs));
    });
  }

  revoke(id: number): Invite {
    const now = this.ports.now();
    return this.store.write((tx) => {
      const row = tx.get<InviteRow>(`${SELECT} WHERE i.id = ?`, id);
      if (!row) throw BulwarkError.field('id', `no invite ${id}; see "bulwark invite list --all"`, 'not_found');
      const state = stateOf(row, now.getTime());
      if (state !== 'open') throw BulwarkError.field('id', `invite ${id} is ${state} already, so there is nothing to revoke`, 'invalid_input');
      tx.run('UPDATE invites SET revoked_at = ?, revoked_by = ? WHERE id = ?', now.toISOString(), currentActor(), id);
      tx.event({ kind: 'invite.revoked', subject: `invite:${id}`, details: { invite: id, location: row.location, device: row.device_name } });
      return toInvite(tx.get<InviteRow>(`${SELECT} WHERE i.id = ?`, id) as InviteRow, now.getTime());
    });
  }

  /**
   * The open invite a token names, inside a transaction. A token that names no invite, or one
   * that is used, revoked or expired, is refused with an event and a clear PublicError (returned,
   * not thrown, so that the caller's transaction keeps the event and the failure count).
   */
  openInvite(tx: Tx, token: string, client: string, nowMs: number): { invite: InviteRow } | { refused: PublicError; unknown: boolean } {
    const row = tx.get<InviteRow>(`${SELECT} WHERE i.token_sha256 = ?`, tokenHash(token));
    const state = row ? stateOf(row, nowMs) : 'unknown';
    if (row && state === 'open') return { invite: row };
    const reason = state as 'unknown' | 'used' | 'expired' | 'revoked';
    tx.event({
      kind: 'invite.refused',
      subject: row ? `invite:${row.id}` : 'invite:unknown',
      details: { reason, invite: row?.id ?? null, location: row?.location ?? null, device: row?.device_name ?? null, client },
    });
    const message = {
      unknown: 'This invite link is not known. Check that you opened the whole link as you received it; if it still fails, ask your administrator for a new invite.',
      used: 'This invite was already used to set up a device. Each invite works once; ask your administrator for a new one.',
      expired: 'This invite has expired. Ask your administrator for a new one.',
      revoked: 'This invite was withdrawn by your administrator. Ask them for a new one.',
    }[reason];
    return { refused: new PublicError(`invite_${reason}`, message, 'token'), unknown: reason === 'unknown' };
  }
}
