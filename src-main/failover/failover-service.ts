// A location's failover settings, checked against what Core knows of its gateways' LAN.
// Changing them is a plan and apply like any other change: this only stores them (one event);
// `bulwark provision plan` then shows the keepalived or load balancer files it means.
import { BulwarkError, DEFAULT_ADVERT_INTERVAL_S, DEFAULT_LB_CHECK, type LbConfig, type Location, type ProcParsedInput } from '../contract/index.js';
import { renderEnvoyUdp } from '../config-gen/envoy/envoy-udp.js';
import { renderNginxStream } from '../config-gen/nginx/nginx-stream.js';
import { DATAPLANE_HEALTH_PORT, NGINX_PID_FILE } from '../contract/host-layout.js';
import { balancedAddressOf, balancedLocation, balancerListenAddress } from './balancer-model.js';
import { cidrContains, formatCidr, formatIp, parseInterfaceAddress, parseIp } from '../net/ip.js';
import type { Store, Tx } from '../store/db.js';
import { requireLocation, type LocationRow } from '../core/locations/location-service.js';
import { requireFreeUdpPort } from '../core/locations/udp-ports.js';

interface GatewayHostRow {
  id: number;
  name: string;
  ssh_address: string;
  lan_interface: string | null;
  lan_address: string | null;
}

export class FailoverService {
  constructor(
    private readonly store: Store,
    private readonly get: (name: string) => Location,
    /** Revokes a host's balancer certificate (it balances nothing any more). */
    private readonly revokeBalancer: (tx: Tx, host: string, reason: string) => void = () => undefined,
  ) {}

  /**
   * The load balancer's configuration for an lb-mode location: nginx as Bulwark's balancer
   * agent starts it (every gateway in rotation), or Envoy for an admin who runs Envoy instead.
   */
  lbConfig(name: string, format: LbConfig['format']): LbConfig {
    return this.store.read((tx) => {
      const loc = requireLocation(tx, name, 'name');
      const lb = loc.failover_lb_host_id === null ? undefined : tx.get<{ name: string; ssh_address: string }>('SELECT name, ssh_address FROM hosts WHERE id = ?', loc.failover_lb_host_id);
      if (loc.failover_mode !== 'lb' || !lb) {
        throw BulwarkError.field('name', `location ${loc.name} does not use a load balancer (its failover is ${loc.failover_mode}); set one with "bulwark location failover ${loc.name} --mode lb --lb-host HOST"`);
      }
      const balanced = balancedLocation(tx, loc);
      if (!balanced) throw BulwarkError.field('name', `location ${loc.name} has no gateways to balance; add them with "bulwark gateway add --location ${loc.name} --host HOST"`);
      const listenAddress = balancerListenAddress(lb);
      const text =
        format === 'nginx'
          ? renderNginxStream({
              host: lb.name,
              listenAddress,
              pidFile: NGINX_PID_FILE,
              user: 'nobody nogroup',
              locations: [{ name: balanced.name, listenPort: balanced.listenPort, gateways: balanced.gateways.map((g) => ({ host: g.host, address: g.address, port: g.port, down: false })) }],
            })
          : renderEnvoyUdp({
              host: lb.name,
              listenAddress,
              adminPort: 9901,
              check: DEFAULT_LB_CHECK,
              locations: [
                {
                  name: balanced.name,
                  listenPort: balanced.listenPort,
                  gateways: balanced.gateways.map((g) => ({ host: g.host, address: g.address, port: g.port, healthPort: DATAPLANE_HEALTH_PORT, healthPath: new URL(g.healthUrl).pathname })),
                },
              ],
            });
      return { location: loc.name, format, lbHost: lb.name, text };
    });
  }

  set(input: ProcParsedInput<'locations.setFailover'>): Location {
    return this.store.write((tx) => {
      const loc = requireLocation(tx, input.name, 'name');
      const before = this.get(loc.name).failover;
      const gateways = tx.all<GatewayHostRow>(
        'SELECT h.id, h.name, h.ssh_address, h.lan_interface, h.lan_address FROM gateways g JOIN hosts h ON h.id = g.host_id WHERE g.location_id = ? ORDER BY h.name',
        loc.id,
      );
      let next: { vip: string | null; iface: string | null; advertCs: number | null; unicast: boolean; routerId: number | null; lbHostId: number | null; lbFailback?: 'auto' | 'manual' };
      if (input.mode === 'vrrp') next = this.vrrp(tx, loc, gateways, input);
      else if (input.mode === 'lb') {
        const lbFailback = input.lbFailback ?? (loc.failover_mode === 'lb' ? (loc.failover_lb_failback ?? 'auto') : 'auto');
        next = { vip: null, iface: null, advertCs: null, unicast: false, routerId: null, lbHostId: this.lbHost(tx, loc, gateways, input.lbHost!), lbFailback };
      }
      else next = { vip: null, iface: null, advertCs: null, unicast: false, routerId: null, lbHostId: null };
      tx.run(
        `UPDATE locations SET failover_mode = ?, failover_vip = ?, failover_interface = ?, failover_advert_cs = ?, failover_unicast = ?, failover_router_id = ?, failover_lb_host_id = ?, failover_lb_failback = ? WHERE id = ?`,
        input.mode,
        next.vip,
        next.iface,
        next.advertCs,
        next.unicast ? 1 : 0,
        next.routerId,
        next.lbHostId,
        next.lbFailback ?? null,
        loc.id,
      );
      const after = this.get(loc.name).failover;
      // A host that balances no location any more is no balancer: its certificate goes.
      if (before.lbHost !== null && before.lbHost !== after.lbHost) {
        const still = tx.get("SELECT 1 FROM locations l JOIN hosts h ON h.id = l.failover_lb_host_id WHERE h.name = ? AND l.failover_mode = 'lb'", before.lbHost);
        if (!still) this.revokeBalancer(tx, before.lbHost, `no longer a load balancer (location ${loc.name} changed its failover)`);
      }
      if (JSON.stringify(before) !== JSON.stringify(after)) tx.event({ kind: 'location.updated', subject: `location:${loc.name}`, details: { failover: { from: before, to: after } } });
      return this.get(loc.name);
    });
  }

  private vrrp(tx: Tx, loc: LocationRow, gateways: GatewayHostRow[], input: ProcParsedInput<'locations.setFailover'>) {
    if (gateways.length < 2) {
      throw BulwarkError.field('mode', `vrrp needs at least two gateways, and location ${loc.name} has ${gateways.length}; add one with "bulwark gateway add --location ${loc.name} --host HOST" first`);
    }
    const parsed = parseInterfaceAddress(input.vip!);
    if (!parsed.ok) throw BulwarkError.field('vip', parsed.reason);
    const { address, lan } = parsed.value;
    const vipText = formatIp(4, address);
    const lanText = formatCidr(lan);
    if (lan.prefix < 31 && (address === lan.network || address === lan.network + (1n << BigInt(32 - lan.prefix)) - 1n)) {
      throw BulwarkError.field('vip', `${vipText} is the ${address === lan.network ? 'network' : 'broadcast'} address of ${lanText}; choose a free address inside it`);
    }
    // Inside every gateway's LAN, as their last host check saw it.
    for (const g of gateways) {
      if (!g.lan_address || !g.lan_interface) {
        throw BulwarkError.field('vip', `Bulwark has not seen gateway ${g.name}'s network yet, so it cannot check that ${vipText} is on its LAN; run "bulwark host check ${g.name}" first`);
      }
      const own = parseInterfaceAddress(g.lan_address);
      if (!own.ok || !cidrContains(own.value.lan, 4, address) || own.value.lan.prefix !== lan.prefix) {
        throw BulwarkError.field('vip', `${input.vip} is not on gateway ${g.name}'s LAN (${g.lan_address} on ${g.lan_interface}); use an address/prefix inside ${own.ok ? formatCidr(own.value.lan) : g.lan_address}`);
      }
    }
    // No host uses it, nor another location's floating IP.
    const owner = tx.get<{ name: string }>('SELECT name FROM hosts WHERE ssh_address = ?', vipText);
    if (owner) throw BulwarkError.field('vip', `${vipText} is host ${owner.name}'s own address; the floating IP must be an address no host uses`);
    const others = tx.all<{ name: string; failover_vip: string; failover_router_id: number }>("SELECT name, failover_vip, failover_router_id FROM locations WHERE failover_mode = 'vrrp' AND id != ?", loc.id);
    const sameLan = others.filter((o) => {
      const p = parseInterfaceAddress(o.failover_vip);
      return p.ok && cidrContains(lan, 4, p.value.address);
    });
    const clash = others.find((o) => o.failover_vip.startsWith(`${vipText}/`));
    if (clash) throw BulwarkError.field('vip', `${vipText} is already the floating IP of location ${clash.name}; each location needs its own`);
    // The router id is unique on that LAN: given, or the lowest free one.
    const used = new Set(sameLan.map((o) => o.failover_router_id));
    let routerId = input.routerId ?? loc.failover_router_id ?? null;
    if (input.routerId !== undefined && used.has(input.routerId)) {
      const who = sameLan.find((o) => o.failover_router_id === input.routerId)!;
      throw BulwarkError.field('routerId', `VRRP router id ${input.routerId} is already used on ${lanText} by location ${who.name}; choose another (1-255) or leave it out to get a free one`);
    }
    if (routerId === null || used.has(routerId)) {
      routerId = null;
      for (let id = 1; id <= 255 && routerId === null; id++) if (!used.has(id)) routerId = id;
      if (routerId === null) throw BulwarkError.field('routerId', `all 255 VRRP router ids are used on ${lanText}`);
    }
    // Clients must dial the floating IP.
    const endpoint = parseIp(loc.endpoint_host);
    if (endpoint && endpoint.value !== address) {
      throw BulwarkError.field('vip', `the location's endpoint is ${loc.endpoint_host}, so clients would not dial the floating IP ${vipText}; run "bulwark location set ${loc.name} --endpoint ${vipText}:${loc.endpoint_port}" first (or use a DNS name that points at it)`);
    }
    const advert = input.advertInterval ?? (loc.failover_mode === 'vrrp' && loc.failover_advert_cs !== null ? loc.failover_advert_cs / 100 : DEFAULT_ADVERT_INTERVAL_S);
    return {
      vip: `${vipText}/${lan.prefix}`,
      iface: input.interface ?? null,
      advertCs: Math.round(advert * 100),
      unicast: input.unicast ?? false,
      routerId,
      lbHostId: null,
    };
  }

  private lbHost(tx: Tx, loc: LocationRow, gateways: GatewayHostRow[], name: string): number {
    const host = tx.get<{ id: number; name: string; ssh_address: string }>('SELECT id, name, ssh_address FROM hosts WHERE name = ?', name);
    if (!host) throw BulwarkError.field('lbHost', `no host named ${JSON.stringify(name)}; add it with "bulwark host add ${name} --ssh USER@ADDRESS"`, 'not_found');
    if (gateways.some((g) => g.id === host.id)) throw BulwarkError.field('lbHost', `${host.name} is a gateway of ${loc.name}; the load balancer must run on another host, or losing that host loses both`);
    if (gateways.length < 1) throw BulwarkError.field('mode', `location ${loc.name} has no gateways for the load balancer to send to; add them with "bulwark gateway add --location ${loc.name} --host HOST"`);
    for (const g of gateways) balancedAddressOf(g, loc.name);
    const endpoint = parseIp(loc.endpoint_host);
    const lbAddress = parseIp(host.ssh_address);
    if (endpoint && lbAddress && endpoint.value !== lbAddress.value) {
      throw BulwarkError.field('lbHost', `the location's endpoint is ${loc.endpoint_host}, not the load balancer's address ${host.ssh_address}; run "bulwark location set ${loc.name} --endpoint ${host.ssh_address}:${loc.endpoint_port}" first`);
    }
    requireFreeUdpPort(tx, { location: { id: loc.id, name: loc.name, endpointHost: loc.endpoint_host }, port: loc.endpoint_port, hosts: [{ id: host.id, role: 'balancer' }], field: 'lbHost' });
    return host.id;
  }
}
