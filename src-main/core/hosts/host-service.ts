import { BulwarkError, parseSshTarget, splitRelease, type Host, type ProcParsedInput } from '../../contract/index.js';
import { formatEndpoint } from '../../net/endpoint.js';
import { cidrContains, formatCidr, parseInterfaceAddress } from '../../net/ip.js';
import type { Store, Tx } from '../../store/db.js';
import { hostRoles } from '../../store/queries.js';
import type { CorePorts, SshTarget } from '../ports.js';

export interface HostRow {
  id: number;
  name: string;
  ssh_user: string;
  ssh_address: string;
  ssh_port: number;
  auth_kind: 'agent' | 'key';
  identity_file: string | null;
  host_key_fingerprint: string | null;
  created_at: string;
  provisioned_at: string | null;
  lan_interface: string | null;
  lan_address: string | null;
  os_id: string | null;
  os_version: string | null;
  arch: string | null;
}

export function requireHost(tx: Tx, name: string, field = 'host'): HostRow {
  const row = tx.get<HostRow>('SELECT * FROM hosts WHERE name = ?', name);
  if (!row) {
    const message = `no host named ${JSON.stringify(name)}; add it with "bulwark host add" or see "bulwark host list"`;
    throw BulwarkError.field(field, message, 'not_found');
  }
  return row;
}

export function sshTargetOf(row: HostRow): SshTarget {
  return {
    name: row.name,
    user: row.ssh_user,
    address: row.ssh_address,
    port: row.ssh_port,
    auth: row.auth_kind === 'key' ? { kind: 'key', identityFile: row.identity_file ?? '' } : { kind: 'agent' },
  };
}

export function sshDisplay(row: Pick<HostRow, 'ssh_user' | 'ssh_address' | 'ssh_port'>): string {
  return `${row.ssh_user}@${formatEndpoint({ host: row.ssh_address, port: row.ssh_port })}`;
}

function roles(tx: Tx, hostId: number): string[] {
  const r = hostRoles(tx, hostId);
  return [...r.gateway.map((l) => `gateway:${l}`), ...(r.edge ? ['edge'] : []), ...r.balancer.map((l) => `balancer:${l}`), ...(r.edgeBalancer ? ['edge-balancer'] : [])];
}

/** A bundle export sets provisioned_at to its own time when no apply had: then the agents come from a bundle. */
function fromBundle(tx: Tx, row: HostRow): boolean {
  return tx.get('SELECT 1 FROM bundle_exports WHERE host_id = ? AND created_at = ?', row.id, row.provisioned_at) !== undefined;
}

export function toHost(tx: Tx, row: HostRow): Host {
  return {
    name: row.name,
    sshUser: row.ssh_user,
    sshAddress: row.ssh_address,
    sshPort: row.ssh_port,
    auth: row.auth_kind === 'key' ? { kind: 'key', identityFile: row.identity_file ?? '' } : { kind: 'agent' },
    hostKeyFingerprint: row.host_key_fingerprint,
    createdAt: row.created_at,
    roles: roles(tx, row.id),
    lan: row.lan_interface && row.lan_address ? { interface: row.lan_interface, address: row.lan_address } : null,
    platform: row.os_id && row.os_version && row.arch ? { os: `${row.os_id}-${row.os_version}`, arch: row.arch } : null,
    agents: row.provisioned_at === null ? null : { by: fromBundle(tx, row) ? 'bundle' : 'apply', at: row.provisioned_at },
    lastBundle: tx.get<{ at: string }>('SELECT MAX(created_at) AS at FROM bundle_exports WHERE host_id = ?', row.id)?.at ?? null,
  };
}

export class HostService {
  constructor(
    private readonly store: Store,
    private readonly ports: CorePorts,
  ) {}

  list(): Host[] {
    return this.store.read((tx) => tx.all<HostRow>('SELECT * FROM hosts ORDER BY name').map((r) => toHost(tx, r)));
  }

  get(name: string): Host {
    return this.store.read((tx) => toHost(tx, requireHost(tx, name, 'name')));
  }

  create(input: ProcParsedInput<'hosts.create'>): Host {
    const target = parseSshTarget(input.ssh);
    if (!target.ok) throw BulwarkError.field('ssh', target.reason);
    const keyProblem = input.identityFile === undefined ? null : this.ports.identityFileProblem(input.identityFile);
    if (keyProblem !== null) throw BulwarkError.field('identityFile', keyProblem);
    const createdAt = this.ports.now().toISOString();
    return this.store.write((tx) => {
      const same = tx.get<{ name: string }>('SELECT name FROM hosts WHERE name = ?', input.name);
      if (same) throw BulwarkError.field('name', `a host named ${JSON.stringify(same.name)} already exists; choose another name`, 'already_exists');
      const r = tx.run(
        `INSERT INTO hosts (name, ssh_user, ssh_address, ssh_port, auth_kind, identity_file, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        input.name,
        target.value.user,
        target.value.address,
        target.value.port,
        input.identityFile ? 'key' : 'agent',
        input.identityFile ?? null,
        createdAt,
      );
      const row = tx.get<HostRow>('SELECT * FROM hosts WHERE id = ?', r.lastInsertRowid as number) as HostRow;
      tx.event({ kind: 'host.created', subject: `host:${row.name}`, details: { ssh: sshDisplay(row), auth: row.auth_kind } });
      return toHost(tx, row);
    });
  }

  /** Sets the LAN and platform a host check would have found, for a host Core cannot reach. */
  update(input: ProcParsedInput<'hosts.update'>): Host {
    return this.store.write((tx) => {
      const row = requireHost(tx, input.name, 'name');
      const details: { lan?: { from: string | null; to: string }; platform?: { from: string | null; to: string } } = {};
      if (input.lan) {
        floatingIpsStayOn(tx, row, input.lan.address);
        const from = row.lan_interface && row.lan_address ? `${row.lan_address} on ${row.lan_interface}` : null;
        const to = `${input.lan.address} on ${input.lan.interface}`;
        if (from !== to) details.lan = { from, to };
        tx.run('UPDATE hosts SET lan_interface = ?, lan_address = ? WHERE id = ?', input.lan.interface, input.lan.address, row.id);
      }
      if (input.platform) {
        const [id, version] = splitRelease(input.platform.os);
        const from = row.os_id && row.os_version && row.arch ? `${row.os_id}-${row.os_version} ${row.arch}` : null;
        const to = `${input.platform.os} ${input.platform.arch}`;
        if (from !== to) details.platform = { from, to };
        tx.run('UPDATE hosts SET os_id = ?, os_version = ?, arch = ? WHERE id = ?', id, version, input.platform.arch, row.id);
      }
      if (details.lan || details.platform) tx.event({ kind: 'host.updated', subject: `host:${row.name}`, details });
      return toHost(tx, requireHost(tx, row.name));
    });
  }

  remove(name: string, force = false): { removed: true } {
    return this.store.write((tx) => {
      const row = requireHost(tx, name, 'name');
      if (row.provisioned_at !== null && !force) {
        throw new BulwarkError(
          'in_use',
          `host ${JSON.stringify(row.name)} ${fromBundle(tx, row) ? `may run Bulwark's agents (an offline bundle for it was exported ${row.provisioned_at})` : `still runs Bulwark's agents (last applied ${row.provisioned_at})`}; take them off with "bulwark host uninstall ${row.name}" first, or, if the machine is gone for good, forget it with "bulwark host remove ${row.name} --force"`,
          { field: 'name' },
        );
      }
      const used = roles(tx, row.id);
      if (used.length > 0) {
        const how = used
          .map((r) =>
            r === 'edge'
              ? `"bulwark edge remove --host ${row.name}"`
              : r.startsWith('balancer:')
                ? `"bulwark location failover ${r.slice(9)} --mode none" (or another --lb-host)`
                : `"bulwark gateway remove --location ${r.slice(8)} --host ${row.name}"`,
          )
          .join(' and ');
        const message = `host ${JSON.stringify(row.name)} is still ${used.join(', ')}; remove ${used.length > 1 ? 'those roles' : 'that role'} first with ${how}`;
        throw new BulwarkError('in_use', message, { field: 'name' });
      }
      tx.run('DELETE FROM hosts WHERE id = ?', row.id);
      tx.event({ kind: 'host.removed', subject: `host:${row.name}`, details: { ssh: sshDisplay(row) } });
      return { removed: true as const };
    });
  }
}

/** A gateway's new LAN must still hold the floating IP of each of its vrrp locations. */
function floatingIpsStayOn(tx: Tx, row: HostRow, address: string): void {
  const lan = parseInterfaceAddress(address);
  if (!lan.ok) throw BulwarkError.field('lan', lan.reason);
  const vrrp = tx.all<{ name: string; failover_vip: string }>(
    "SELECT l.name, l.failover_vip FROM gateways g JOIN locations l ON l.id = g.location_id WHERE g.host_id = ? AND l.failover_mode = 'vrrp' ORDER BY l.name",
    row.id,
  );
  for (const l of vrrp) {
    const vip = parseInterfaceAddress(l.failover_vip);
    if (vip.ok && (!cidrContains(lan.value.lan, vip.value.family, vip.value.address) || vip.value.lan.prefix !== lan.value.lan.prefix)) {
      const fix = `give an address in ${formatCidr(vip.value.lan)}, or move the floating IP first ("bulwark location failover ${l.name} --mode vrrp --vip ADDRESS/PREFIX")`;
      throw BulwarkError.field('lan', `${address} is not on the LAN of location ${l.name}'s floating IP ${l.failover_vip}; ${fix}`);
    }
  }
}
