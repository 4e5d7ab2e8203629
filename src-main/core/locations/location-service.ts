import {
  BulwarkError,
  MIN_MFA_DISCONNECT_THRESHOLD_S,
  type Failover,
  type Location,
  type LocationUpdatedDetails,
  type ProcParsedInput,
} from '../../contract/index.js';
import { addressAt, cidrsOverlap, formatCidr, parseCidr, poolLayout, type Cidr } from '../../net/ip.js';
import { parseEndpoint } from '../../net/endpoint.js';
import type { Store, Tx } from '../../store/db.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { CorePorts } from '../ports.js';
import { requireDistinctDerivedNames } from './derived-names.js';
import { requireFreeUdpPort } from './udp-ports.js';

export interface LocationRow {
  id: number;
  name: string;
  network: string;
  family: number;
  endpoint_host: string;
  endpoint_port: number;
  mfa: number;
  disconnect_threshold: number;
  routes: string;
  wg_public_key: string;
  wg_private_key_enc: Buffer;
  next_device_index: number;
  created_at: string;
  failover_mode: 'none' | 'vrrp' | 'lb';
  failover_vip: string | null;
  failover_interface: string | null;
  failover_advert_cs: number | null;
  failover_unicast: number;
  failover_router_id: number | null;
  failover_lb_host_id: number | null;
  failover_lb_failback: 'auto' | 'manual' | null;
}

const SELECT = `SELECT l.*,
  (SELECT count(*) FROM gateways g WHERE g.location_id = l.id) AS gateway_count,
  (SELECT count(*) FROM devices d WHERE d.location_id = l.id) AS device_count,
  (SELECT h.name FROM hosts h WHERE h.id = l.failover_lb_host_id) AS lb_host
  FROM locations l`;

type RowWithCounts = LocationRow & { gateway_count: number; device_count: number; lb_host: string | null };

/** The location's failover settings as the contract shows them. */
function failoverOf(row: LocationRow & { lb_host: string | null }): Failover {
  return {
    mode: row.failover_mode,
    vip: row.failover_vip,
    interface: row.failover_interface,
    advertInterval: row.failover_advert_cs === null ? null : row.failover_advert_cs / 100,
    unicast: row.failover_unicast === 1,
    routerId: row.failover_router_id,
    lbHost: row.lb_host,
    lbFailback: row.failover_lb_failback,
  };
}

export function locationCidr(row: Pick<LocationRow, 'network'>): Cidr {
  const r = parseCidr(row.network);
  if (!r.ok) throw new Error(`invariant failed: stored network ${row.network} parses`);
  return r.value;
}

/** The gateways' own tunnel address inside the location's pool. */
export function gatewayAddressOf(row: Pick<LocationRow, 'network'>): string {
  const cidr = locationCidr(row);
  return addressAt(cidr, poolLayout(cidr).gatewayOffset);
}

function toLocation(row: RowWithCounts): Location {
  return {
    name: row.name,
    network: row.network,
    gatewayAddress: gatewayAddressOf(row),
    endpointHost: row.endpoint_host,
    endpointPort: row.endpoint_port,
    mfa: row.mfa === 1,
    disconnectThreshold: row.disconnect_threshold,
    routes: JSON.parse(row.routes) as string[],
    publicKey: row.wg_public_key,
    createdAt: row.created_at,
    failover: failoverOf(row),
    gatewayCount: row.gateway_count,
    deviceCount: row.device_count,
  };
}

/** Routes in canonical form (host bits cleared by the schema), without duplicates, sorted. */
function normalRoutes(routes: string[]): string[] {
  return [...new Set(routes.map((r) => { const c = parseCidr(r); return c.ok ? formatCidr(c.value) : r; }))].sort();
}

/** Looks a location up inside a transaction; `field` names the input that referred to it. */
export function requireLocation(tx: Tx, name: string, field = 'location'): LocationRow {
  const row = tx.get<LocationRow>('SELECT * FROM locations WHERE name = ?', name);
  if (!row) {
    throw BulwarkError.field(field, `no location named ${JSON.stringify(name)}; see "bulwark location list"`, 'not_found');
  }
  return row;
}

export class LocationService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly ports: CorePorts,
  ) {}

  list(): Location[] {
    return this.store.read((tx) => tx.all<RowWithCounts>(`${SELECT} ORDER BY l.name`).map(toLocation));
  }

  get(name: string): Location {
    return this.store.read((tx) => {
      const row = tx.get<RowWithCounts>(`${SELECT} WHERE l.name = ?`, name);
      if (!row) requireLocation(tx, name, 'name');
      return toLocation(row as RowWithCounts);
    });
  }

  create(input: ProcParsedInput<'locations.create'>): Location {
    const parsed = input;
    const cidr = locationCidr(parsed);
    const endpoint = parseEndpoint(parsed.endpoint, 51820);
    if (!endpoint.ok) throw BulwarkError.field('endpoint', endpoint.reason);
    const keys = this.ports.generateKeyPair();
    const sealed = this.secrets.seal(keys.privateKey, 'location-wireguard-private-key');
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const same = tx.get<{ name: string }>('SELECT name FROM locations WHERE name = ?', parsed.name);
      if (same) {
        throw BulwarkError.field('name', `a location named ${JSON.stringify(same.name)} already exists; choose another name`, 'already_exists');
      }
      requireDistinctDerivedNames(tx, parsed.name);
      for (const other of tx.all<LocationRow>('SELECT * FROM locations WHERE family = ?', cidr.family)) {
        const otherCidr = locationCidr(other);
        if (cidrsOverlap(cidr, otherCidr)) {
          throw BulwarkError.field(
            'network',
            `${formatCidr(cidr)} overlaps location ${JSON.stringify(other.name)} (${other.network}); choose a range that no other location uses`,
            'overlap',
          );
        }
      }
      tx.run(
        `INSERT INTO locations (name, network, family, endpoint_host, endpoint_port, mfa, disconnect_threshold,
           wg_public_key, wg_private_key_enc, created_at, routes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        parsed.name,
        formatCidr(cidr),
        cidr.family,
        endpoint.value.host,
        endpoint.value.port,
        parsed.mfa ? 1 : 0,
        parsed.disconnectThreshold,
        keys.publicKey,
        sealed,
        createdAt,
        JSON.stringify(normalRoutes(parsed.routes)),
      );
      tx.event({
        kind: 'location.created',
        subject: `location:${parsed.name}`,
        details: { network: formatCidr(cidr), endpoint: `${endpoint.value.host}:${endpoint.value.port}`, mfa: parsed.mfa },
      });
      return toLocation(tx.get<RowWithCounts>(`${SELECT} WHERE l.name = ?`, parsed.name) as RowWithCounts);
    });
  }

  update(input: ProcParsedInput<'locations.update'>): Location {
    return this.store.write((tx) => {
      const row = requireLocation(tx, input.name, 'name');
      const changes: LocationUpdatedDetails = {};
      let host = row.endpoint_host;
      let port = row.endpoint_port;
      if (input.endpoint !== undefined) {
        const endpoint = parseEndpoint(input.endpoint, row.endpoint_port);
        if (!endpoint.ok) throw BulwarkError.field('endpoint', endpoint.reason);
        ({ host, port } = endpoint.value);
        if (host !== row.endpoint_host || port !== row.endpoint_port) {
          changes.endpoint = { from: `${row.endpoint_host}:${row.endpoint_port}`, to: `${host}:${port}` };
        }
      }
      const mfa = input.mfa ?? row.mfa === 1;
      if (mfa !== (row.mfa === 1)) changes.mfa = { from: row.mfa === 1, to: mfa };
      const threshold = input.disconnectThreshold ?? row.disconnect_threshold;
      if (threshold !== row.disconnect_threshold) changes.disconnectThreshold = { from: row.disconnect_threshold, to: threshold };
      const routes = input.routes === undefined ? (JSON.parse(row.routes) as string[]) : normalRoutes(input.routes);
      if (JSON.stringify(routes) !== row.routes) changes.routes = { from: JSON.parse(row.routes), to: routes };
      if (mfa && threshold < MIN_MFA_DISCONNECT_THRESHOLD_S) {
        throw BulwarkError.field(
          'disconnectThreshold',
          `${threshold} s is too short for an MFA location; use at least ${MIN_MFA_DISCONNECT_THRESHOLD_S} s so that idle peers are not dropped between keepalives`,
        );
      }
      if (port !== row.endpoint_port) {
        const gateways = tx.all<{ id: number }>('SELECT host_id AS id FROM gateways WHERE location_id = ?', row.id).map((g) => ({ id: g.id, role: 'gateway' as const }));
        const balancer = row.failover_mode === 'lb' && row.failover_lb_host_id !== null ? [{ id: row.failover_lb_host_id, role: 'balancer' as const }] : [];
        requireFreeUdpPort(tx, { location: { id: row.id, name: row.name, endpointHost: host }, port, hosts: [...gateways, ...balancer], field: 'endpoint' });
      }
      if (Object.keys(changes).length > 0) {
        tx.run(
          'UPDATE locations SET endpoint_host = ?, endpoint_port = ?, mfa = ?, disconnect_threshold = ?, routes = ? WHERE id = ?',
          host,
          port,
          mfa ? 1 : 0,
          threshold,
          JSON.stringify(routes),
          row.id,
        );
        tx.event({ kind: 'location.updated', subject: `location:${row.name}`, details: changes });
      }
      return toLocation(tx.get<RowWithCounts>(`${SELECT} WHERE l.id = ?`, row.id) as RowWithCounts);
    });
  }

  remove(name: string): { removed: true } {
    return this.store.write((tx) => {
      const row = requireLocation(tx, name, 'name');
      const gateways = tx.get<{ n: number }>('SELECT count(*) AS n FROM gateways WHERE location_id = ?', row.id)?.n ?? 0;
      const devices = tx.get<{ n: number }>('SELECT count(*) AS n FROM devices WHERE location_id = ?', row.id)?.n ?? 0;
      if (gateways + devices > 0) {
        const parts = [gateways ? `${gateways} gateway${gateways > 1 ? 's' : ''}` : '', devices ? `${devices} device${devices > 1 ? 's' : ''}` : '']
          .filter(Boolean)
          .join(' and ');
        const how = [
          gateways ? `"bulwark gateway remove --location ${row.name} --host HOST"` : '',
          devices ? `"bulwark device remove --location ${row.name} NAME"` : '',
        ]
          .filter(Boolean)
          .join(' and ');
        throw new BulwarkError('in_use', `location ${JSON.stringify(row.name)} still has ${parts}; remove them first with ${how}`, { field: 'name' });
      }
      tx.run('DELETE FROM locations WHERE id = ?', row.id);
      tx.event({ kind: 'location.removed', subject: `location:${row.name}`, details: { network: row.network } });
      return { removed: true as const };
    });
  }

  /** The location's WireGuard private key, for the gateway configuration. Never logged. */
  privateKey(name: string): string {
    const row = this.store.read((tx) => requireLocation(tx, name, 'name'));
    return this.secrets.open(row.wg_private_key_enc, 'location-wireguard-private-key');
  }
}
