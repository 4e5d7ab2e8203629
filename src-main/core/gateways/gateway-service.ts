import { BulwarkError, type Gateway } from '../../contract/index.js';
import type { Store } from '../../store/db.js';
import { requireHost, sshDisplay, type HostRow } from '../hosts/host-service.js';
import { requireLocation } from '../locations/location-service.js';
import { requireFreeUdpPort } from '../locations/udp-ports.js';
import type { CorePorts } from '../ports.js';
import type { PkiService } from '../pki/pki-service.js';

type Row = { location: string; created_at: string } & HostRow;

const SELECT = `SELECT l.name AS location, h.name, h.ssh_user, h.ssh_address, h.ssh_port, g.created_at
  FROM gateways g JOIN locations l ON l.id = g.location_id JOIN hosts h ON h.id = g.host_id`;

const toGateway = (r: Row): Gateway => ({ location: r.location, host: r.name, address: sshDisplay(r), createdAt: r.created_at });

export class GatewayService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly pki: PkiService,
  ) {}

  list(location?: string): Gateway[] {
    return this.store.read((tx) => {
      if (location === undefined) return tx.all<Row>(`${SELECT} ORDER BY l.name, h.name`).map(toGateway);
      requireLocation(tx, location);
      return tx.all<Row>(`${SELECT} WHERE l.name = ? ORDER BY h.name`, location).map(toGateway);
    });
  }

  add(location: string, host: string): Gateway {
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const h = requireHost(tx, host);
      if (tx.get('SELECT id FROM gateways WHERE location_id = ? AND host_id = ?', loc.id, h.id)) {
        throw BulwarkError.field('host', `${h.name} is already a gateway of location ${loc.name}`, 'already_exists');
      }
      if (loc.failover_mode === 'lb' && loc.failover_lb_host_id === h.id) {
        throw BulwarkError.field('host', `${h.name} is the load balancer of location ${loc.name}; a gateway must be another host, or losing that host loses both`);
      }
      requireFreeUdpPort(tx, { location: { id: loc.id, name: loc.name, endpointHost: loc.endpoint_host }, port: loc.endpoint_port, hosts: [{ id: h.id, role: 'gateway' }], field: 'host' });
      tx.run('INSERT INTO gateways (location_id, host_id, created_at) VALUES (?, ?, ?)', loc.id, h.id, createdAt);
      tx.event({ kind: 'gateway.added', subject: `gateway:${loc.name}/${h.name}`, details: { location: loc.name, host: h.name } });
      return toGateway(tx.get<Row>(`${SELECT} WHERE g.location_id = ? AND g.host_id = ?`, loc.id, h.id) as Row);
    });
  }

  remove(location: string, host: string): { removed: true } {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, location);
      const h = requireHost(tx, host);
      const r = tx.run('DELETE FROM gateways WHERE location_id = ? AND host_id = ?', loc.id, h.id);
      if (r.changes === 0) {
        const message = `${h.name} is not a gateway of location ${loc.name}; see "bulwark gateway list --location ${loc.name}"`;
        throw BulwarkError.field('host', message, 'not_found');
      }
      tx.event({ kind: 'gateway.removed', subject: `gateway:${loc.name}/${h.name}`, details: { location: loc.name, host: h.name } });
      // The host's gateway agent serves every location it is a gateway of: its certificate
      // goes with its last one.
      if (!tx.get('SELECT id FROM gateways WHERE host_id = ?', h.id)) this.pki.revokeAgent(tx, 'gateway', h.name, `no longer a gateway (removed from ${loc.name})`);
      return { removed: true as const };
    });
  }
}
