import { BulwarkError, type Edge } from '../../contract/index.js';
import type { Store } from '../../store/db.js';
import { requireHost, sshDisplay, type HostRow } from '../hosts/host-service.js';
import type { CorePorts } from '../ports.js';
import type { PkiService } from '../pki/pki-service.js';

type Row = HostRow & { edge_created_at: string };
const SELECT = 'SELECT h.*, e.created_at AS edge_created_at FROM edges e JOIN hosts h ON h.id = e.host_id';
const toEdge = (r: Row): Edge => ({ host: r.name, address: sshDisplay(r), createdAt: r.edge_created_at });

export class EdgeService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
    private readonly pki: PkiService,
  ) {}

  list(): Edge[] {
    return this.store.read((tx) => tx.all<Row>(`${SELECT} ORDER BY h.name`).map(toEdge));
  }

  add(host: string): Edge {
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const h = requireHost(tx, host);
      if (tx.get('SELECT id FROM edges WHERE host_id = ?', h.id)) {
        throw BulwarkError.field('host', `${h.name} is already an edge`, 'already_exists');
      }
      tx.run('INSERT INTO edges (host_id, created_at) VALUES (?, ?)', h.id, createdAt);
      tx.event({ kind: 'edge.added', subject: `edge:${h.name}`, details: { host: h.name } });
      return toEdge(tx.get<Row>(`${SELECT} WHERE e.host_id = ?`, h.id) as Row);
    });
  }

  remove(host: string): { removed: true } {
    return this.store.write((tx) => {
      const h = requireHost(tx, host);
      if (tx.run('DELETE FROM edges WHERE host_id = ?', h.id).changes === 0) {
        const message = `${h.name} is not an edge; see "bulwark edge list"`;
        throw BulwarkError.field('host', message, 'not_found');
      }
      tx.event({ kind: 'edge.removed', subject: `edge:${h.name}`, details: { host: h.name } });
      this.pki.revokeAgent(tx, 'edge', h.name, 'no longer an edge');
      return { removed: true as const };
    });
  }
}
