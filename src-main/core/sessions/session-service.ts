// MFA sessions. In a location with MFA a device is a WireGuard peer only while it has an
// active session: the edge starts one after the user passes MFA (an admin may too), an admin
// ends one, and a gateway ends one whose peer stayed idle past the location's threshold. Each
// change is one event (session.started / session.ended) that the link service turns into peer
// changes on the location's gateways.
import { BulwarkError, type Session } from '../../contract/index.js';
import type { Store, Tx } from '../../store/db.js';
import { requireLocation } from '../locations/location-service.js';
import type { CorePorts } from '../ports.js';
import { currentActor } from '../context.js';

type EndReason = NonNullable<Session['endReason']>;

interface SessionRow {
  id: number;
  location: string;
  device: string;
  public_key: string;
  address: string;
  started_at: string;
  started_by: string;
  ended_at: string | null;
  end_reason: EndReason | null;
  ended_by: string | null;
}

const SELECT = `SELECT s.id, l.name AS location, d.name AS device, d.public_key, d.address, s.started_at, s.started_by, s.ended_at, s.end_reason, s.ended_by
  FROM sessions s JOIN devices d ON d.id = s.device_id JOIN locations l ON l.id = d.location_id`;

const toSession = (r: SessionRow): Session => ({
  id: r.id,
  location: r.location,
  device: r.device,
  startedAt: r.started_at,
  startedBy: r.started_by,
  endedAt: r.ended_at,
  endReason: r.end_reason,
  endedBy: r.ended_by,
});

/** An active session as the link service needs it: which peer it authorises. */
export interface ActiveSession {
  id: number;
  device: string;
  publicKey: string;
  address: string;
  startedAt: string;
  startedBy: string;
}

export class SessionService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  list(location: string, all: boolean): Session[] {
    return this.store.read((tx) => {
      const loc = requireLocation(tx, location);
      const where = all ? '' : ' AND s.ended_at IS NULL';
      return tx.all<SessionRow>(`${SELECT} WHERE l.id = ?${where} ORDER BY s.id DESC LIMIT 200`, loc.id).map(toSession);
    });
  }

  /** Active sessions of a location by the device's public key (a disabled device has none: disabling ends them, and none starts). */
  active(location: string): Map<string, ActiveSession> {
    return this.store.read((tx) => {
      const rows = tx.all<SessionRow>(`${SELECT} WHERE l.name = ? AND s.ended_at IS NULL AND d.enabled = 1`, location);
      return new Map(rows.map((r) => [r.public_key, { id: r.id, device: r.device, publicKey: r.public_key, address: r.address, startedAt: r.started_at, startedBy: r.started_by }]));
    });
  }

  /** Starts a session for the device (after MFA); an active one is replaced, which restarts the idle clock. */
  start(location: string, deviceName: string): Session {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      if (loc.mfa !== 1) {
        throw BulwarkError.field('location', `location ${loc.name} does not use MFA, so its devices are always connected and need no session; turn MFA on with "bulwark location set ${loc.name} --mfa"`, 'invalid_input');
      }
      const device = tx.get<{ id: number; name: string; public_key: string; address: string; enabled: number }>('SELECT id, name, public_key, address, enabled FROM devices WHERE location_id = ? AND name = ?', loc.id, deviceName);
      if (!device) throw BulwarkError.field('device', `location ${loc.name} has no device named ${JSON.stringify(deviceName)}; see "bulwark device list --location ${loc.name}"`, 'not_found');
      if (device.enabled !== 1) {
        throw BulwarkError.field('device', `device ${JSON.stringify(device.name)} of location ${loc.name} is disabled, so it cannot connect; enable it first with "bulwark device enable --location ${loc.name} ${JSON.stringify(device.name)}"`);
      }
      const old = tx.get<SessionRow>(`${SELECT} WHERE d.id = ? AND s.ended_at IS NULL`, device.id);
      if (old) this.endRow(tx, old, 'replaced', currentActor());
      const r = tx.run('INSERT INTO sessions (device_id, started_at, started_by) VALUES (?, ?, ?)', device.id, this.ports.now().toISOString(), currentActor());
      const id = Number(r.lastInsertRowid);
      tx.event({ kind: 'session.started', subject: `device:${loc.name}/${device.name}`, details: { location: loc.name, device: device.name, publicKey: device.public_key, address: device.address, session: id } });
      return toSession(tx.get<SessionRow>(`${SELECT} WHERE s.id = ?`, id) as SessionRow);
    });
  }

  /** Ends the device's active session by hand: its peer leaves the gateways at once. */
  end(location: string, deviceName: string): Session {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const row = tx.get<SessionRow>(`${SELECT} WHERE l.id = ? AND d.name = ? AND s.ended_at IS NULL`, loc.id, deviceName);
      if (!row) {
        const known = tx.get('SELECT 1 FROM devices WHERE location_id = ? AND name = ?', loc.id, deviceName);
        const why = known ? `device ${JSON.stringify(deviceName)} has no active session` : `location ${loc.name} has no device named ${JSON.stringify(deviceName)}`;
        throw BulwarkError.field('device', `${why}; see "bulwark session list --location ${loc.name}"`, 'not_found');
      }
      this.endRow(tx, row, 'ended', currentActor());
      return toSession(tx.get<SessionRow>(`${SELECT} WHERE s.id = ?`, row.id) as SessionRow);
    });
  }

  /** Ends every active session of the location (MFA turned off). */
  endLocation(location: string, reason: EndReason): void {
    this.store.write((tx) => this.endAll(tx, location, reason));
  }

  /** Inside a write: ends every active session of the location, or of one device (MFA turned off, device removed or disabled). */
  endAll(tx: Tx, location: string, reason: EndReason, deviceId?: number): void {
    const rows = tx.all<SessionRow>(`${SELECT} WHERE l.name = ? AND s.ended_at IS NULL${deviceId === undefined ? '' : ' AND d.id = ?'}`, location, ...(deviceId === undefined ? [] : [deviceId]));
    for (const row of rows) this.endRow(tx, row, reason, currentActor());
  }

  /**
   * A gateway removed idle peers. Each session that is still active ends as "idle", unless
   * `activeElsewhere` says another gateway of the location saw the peer within the threshold:
   * then it stays, and the caller gives the peer back to that gateway. Returns which stayed.
   */
  expire(gateway: string, location: string, sessions: { session: number; publicKey: string }[], activeElsewhere: (publicKey: string) => boolean): { kept: number[] } {
    return this.store.write((tx) => {
      const kept: number[] = [];
      for (const s of sessions) {
        const row = tx.get<SessionRow>(`${SELECT} WHERE s.id = ? AND l.name = ? AND d.public_key = ?`, s.session, location, s.publicKey);
        if (!row || row.ended_at !== null) continue; // already ended (or replaced) here
        if (activeElsewhere(s.publicKey)) {
          kept.push(s.session);
          continue;
        }
        this.endRow(tx, row, 'idle', `gateway:${gateway}`);
      }
      return { kept };
    });
  }

  private endRow(tx: Tx, row: SessionRow, reason: EndReason, by: string): void {
    tx.run('UPDATE sessions SET ended_at = ?, end_reason = ?, ended_by = ? WHERE id = ?', this.ports.now().toISOString(), reason, by, row.id);
    tx.event({
      kind: 'session.ended',
      subject: `device:${row.location}/${row.device}`,
      details: { location: row.location, device: row.device, publicKey: row.public_key, address: row.address, session: row.id, reason, by },
    });
  }
}
