import { BulwarkError, type ClientConfigModel, type Device, type DeviceAddOutput, type ProcParsedInput } from '../../contract/index.js';
import { renderClientConfig } from '../../config-gen/wireguard/client-config.js';
import { addressAt, poolLayout, type Cidr } from '../../net/ip.js';
import { formatEndpoint } from '../../net/endpoint.js';
import type { Store, Tx } from '../../store/db.js';
import { locationCidr, requireLocation, type LocationRow } from '../locations/location-service.js';
import type { CorePorts } from '../ports.js';
import type { SessionService } from '../sessions/session-service.js';

interface DeviceRow {
  id: number;
  location: string;
  name: string;
  public_key: string;
  host_index: number;
  address: string;
  created_at: string;
  enabled: number;
}

const SELECT = `SELECT d.id, l.name AS location, d.name, d.public_key, d.host_index, d.address, d.created_at, d.enabled
  FROM devices d JOIN locations l ON l.id = d.location_id`;

const toDevice = (r: DeviceRow): Device => ({
  location: r.location,
  name: r.name,
  publicKey: r.public_key,
  address: r.address,
  createdAt: r.created_at,
  enabled: r.enabled === 1,
});

/** Seconds between keepalives in client configs: under common NAT UDP timeouts (30 s). */
const CLIENT_KEEPALIVE_S = 25;

/**
 * Picks a free host offset in the pool. Offsets come from a per-location counter that moves
 * forward and wraps at the top of the pool: an address that was just freed is handed out
 * again only after every other free address has been, so an old client config that still
 * carries it is unlikely to meet a new device. Runs inside the write transaction, so
 * concurrent adds cannot collide (and the UNIQUE index would refuse it anyway).
 */
function allocateOffset(tx: Tx, location: LocationRow, cidr: Cidr): bigint {
  const range = poolLayout(cidr).devices;
  if (!range) throw poolFull(location);
  const counter = BigInt(location.next_device_index);
  const start = counter >= range.first && counter <= range.last ? counter : range.first;
  const found = firstFreeFrom(tx, location.id, start, range.last) ?? (start > range.first ? firstFreeFrom(tx, location.id, range.first, start - 1n) : null);
  if (found === null) throw poolFull(location);
  tx.run('UPDATE locations SET next_device_index = ? WHERE id = ?', found + 1n, location.id);
  return found;
}

/** The lowest offset in [from, to] that no device of the location holds, or null. */
function firstFreeFrom(tx: Tx, locationId: number, from: bigint, to: bigint): bigint | null {
  if (tx.get('SELECT 1 FROM devices WHERE location_id = ? AND host_index = ?', locationId, from) === undefined) return from;
  const gap = tx.get<{ c: number }>(
    `SELECT d.host_index + 1 AS c FROM devices d WHERE d.location_id = ? AND d.host_index >= ?
       AND NOT EXISTS (SELECT 1 FROM devices e WHERE e.location_id = d.location_id AND e.host_index = d.host_index + 1)
     ORDER BY d.host_index LIMIT 1`,
    locationId,
    from,
  )?.c;
  return gap !== undefined && BigInt(gap) <= to ? BigInt(gap) : null;
}

function poolFull(location: LocationRow): BulwarkError {
  return BulwarkError.field(
    'location',
    `the address pool ${location.network} of location ${location.name} is full; remove unused devices or create a location with a larger network`,
    'pool_exhausted',
  );
}

/** A device's wg-quick config without its private key: what Core knows of it. */
export function clientConfigModel(location: LocationRow, device: { name: string; address: string }): Omit<ClientConfigModel, 'privateKey'> {
  return {
    locationName: location.name,
    deviceName: device.name,
    address: device.address,
    serverPublicKey: location.wg_public_key,
    allowedIps: [location.network, ...(JSON.parse(location.routes) as string[])],
    endpoint: formatEndpoint({ host: location.endpoint_host, port: location.endpoint_port }),
    persistentKeepalive: CLIENT_KEEPALIVE_S,
  };
}

function requireDevice(tx: Tx, loc: LocationRow, name: string): DeviceRow {
  const row = tx.get<DeviceRow>(`${SELECT} WHERE d.location_id = ? AND d.name = ?`, loc.id, name);
  if (!row) throw BulwarkError.field('name', `location ${loc.name} has no device named ${JSON.stringify(name)}; see "bulwark device list --location ${loc.name}"`, 'not_found');
  return row;
}

export class DeviceService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly sessions: SessionService,
  ) {}

  list(location: string): Device[] {
    return this.store.read((tx) => {
      requireLocation(tx, location);
      return tx.all<DeviceRow>(`${SELECT} WHERE l.name = ? ORDER BY d.host_index`, location).map(toDevice);
    });
  }

  add(input: ProcParsedInput<'devices.add'>): DeviceAddOutput {
    const keys = input.publicKey === undefined ? this.ports.generateKeyPair() : null;
    const publicKey = input.publicKey ?? keys!.publicKey;
    const createdAt = this.ports.now().toISOString();
    const { device, location } = this.store.write((tx) => {
      const loc = requireLocation(tx, input.location);
      if (tx.get('SELECT id FROM devices WHERE location_id = ? AND name = ?', loc.id, input.name)) {
        throw BulwarkError.field('name', `location ${loc.name} already has a device named ${JSON.stringify(input.name)}; choose another name`, 'already_exists');
      }
      const owner = tx.get<{ name: string }>('SELECT name FROM devices WHERE location_id = ? AND public_key = ?', loc.id, publicKey);
      if (owner || publicKey === loc.wg_public_key) {
        const who = owner ? `device ${JSON.stringify(owner.name)}` : 'the location itself';
        throw BulwarkError.field('publicKey', `this key is already used by ${who} in location ${loc.name}; every device needs its own key pair`, 'already_exists');
      }
      const cidr = locationCidr(loc);
      const offset = allocateOffset(tx, loc, cidr);
      const address = `${addressAt(cidr, offset)}/${cidr.family === 4 ? 32 : 128}`;
      const r = tx.run(
        'INSERT INTO devices (location_id, name, public_key, host_index, address, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        loc.id,
        input.name,
        publicKey,
        offset,
        address,
        createdAt,
      );
      tx.event({
        kind: 'device.added',
        subject: `device:${loc.name}/${input.name}`,
        details: { location: loc.name, name: input.name, address, publicKey },
      });
      return { device: toDevice(tx.get<DeviceRow>(`${SELECT} WHERE d.id = ?`, r.lastInsertRowid as number) as DeviceRow), location: loc };
    });
    const clientConfig = renderClientConfig({ ...clientConfigModel(location, device), privateKey: keys?.privateKey ?? null });
    return { device, clientConfig, containsPrivateKey: keys !== null };
  }

  /**
   * The device's client config again (DeviceConfigInput): with newKey, a new key pair replaces
   * the old in one transaction (its MFA sessions end with the old key, and the gateways swap the
   * peer); without, the config as it stands, with a placeholder for the device's own key.
   */
  config(location: string, name: string, newKey: boolean): DeviceAddOutput {
    if (!newKey) {
      const { loc, row } = this.store.read((tx) => {
        const loc = requireLocation(tx, location);
        return { loc, row: requireDevice(tx, loc, name) };
      });
      return { device: toDevice(row), clientConfig: renderClientConfig({ ...clientConfigModel(loc, row), privateKey: null }), containsPrivateKey: false };
    }
    const keys = this.ports.generateKeyPair();
    const { device, loc } = this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const row = requireDevice(tx, loc, name);
      this.sessions.endAll(tx, loc.name, 'replaced', row.id);
      tx.run('UPDATE devices SET public_key = ? WHERE id = ?', keys.publicKey, row.id);
      tx.event({
        kind: 'device.rekeyed',
        subject: `device:${loc.name}/${row.name}`,
        details: { location: loc.name, name: row.name, address: row.address, publicKey: keys.publicKey, previousKey: row.public_key, enabled: row.enabled === 1 },
      });
      return { device: toDevice({ ...row, public_key: keys.publicKey }), loc };
    });
    return { device, clientConfig: renderClientConfig({ ...clientConfigModel(loc, device), privateKey: keys.privateKey }), containsPrivateKey: true };
  }

  /**
   * Disables or enables a device (DeviceSetEnabledInput). Disabling ends its MFA sessions in the
   * same transaction, so the gateways drop its peer with the one commit; asking for the state it
   * already has returns it unchanged, with no event.
   */
  setEnabled(location: string, name: string, enabled: boolean): Device {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const row = requireDevice(tx, loc, name);
      if ((row.enabled === 1) === enabled) return toDevice(row);
      if (!enabled) this.sessions.endAll(tx, loc.name, 'device_disabled', row.id);
      tx.run('UPDATE devices SET enabled = ? WHERE id = ?', enabled ? 1 : 0, row.id);
      tx.event({ kind: enabled ? 'device.enabled' : 'device.disabled', subject: `device:${loc.name}/${row.name}`, details: { location: loc.name, name: row.name, address: row.address, publicKey: row.public_key } });
      return toDevice({ ...row, enabled: enabled ? 1 : 0 });
    });
  }

  remove(location: string, name: string): { removed: true } {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const row = requireDevice(tx, loc, name);
      this.sessions.endAll(tx, loc.name, 'device_removed', row.id);
      tx.run('DELETE FROM devices WHERE id = ?', row.id);
      tx.event({ kind: 'device.removed', subject: `device:${loc.name}/${row.name}`, details: { location: loc.name, name: row.name, address: row.address, publicKey: row.public_key } });
      return { removed: true as const };
    });
  }
}
