// Envoy as the UDP load balancer of lb-mode locations, for admins who run Envoy rather than
// the nginx that Bulwark's balancer agent manages. Pure: model in, bootstrap YAML out.
// Choices, and why:
// - udp_proxy with `hash_policies: [source_ip]` over a RING_HASH cluster: a client stays on one
//   gateway (its WireGuard session lives there), and a gateway leaving moves only its clients.
// - `idle_timeout: 60s`: longer than twice the clients' 25 s keepalive, as with nginx.
// - active HTTP health checks on each gateway's data-plane health endpoint (the same URL the
//   balancer agent checks): Envoy moves a session whose gateway turns unhealthy with the next
//   datagram, which OSS nginx cannot do without a reload. The intervals and thresholds are the
//   balancer agent's, so both modes take a gateway out after the same time.
// - healthy_panic_threshold 1 %: Envoy ignores health only when no gateway passes (the balancer
//   agent does the same), not at its default of 50 %, which with 3 gateways would send clients
//   to a dead one as soon as two fail.
import { stringify } from 'yaml';
import { locationIdentifier } from '../location-identifier.js';

export interface EnvoyModel {
  host: string;
  /** Where Envoy listens for clients. */
  listenAddress: string;
  /** Envoy's admin interface (loopback). */
  adminPort: number;
  check: { intervalMs: number; timeoutMs: number; fall: number; rise: number };
  locations: {
    name: string;
    listenPort: number;
    gateways: { host: string; address: string; port: number; healthPort: number; healthPath: string }[];
  }[];
}

const IPV4_OR_6 = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]+)$/;
const seconds = (ms: number) => `${ms / 1000}s`;
const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function renderEnvoyUdp(m: EnvoyModel): string {
  if (!IPV4_OR_6.test(m.listenAddress)) throw new Error(`invariant failed: listen address ${m.listenAddress} is an IP address`);
  const locations = [...m.locations].sort(byName);
  const listeners = locations.map((l) => {
    const name = locationIdentifier(l.name);
    return {
      name,
      address: { socket_address: { protocol: 'UDP', address: m.listenAddress, port_value: l.listenPort } },
      udp_listener_config: { downstream_socket_config: { max_rx_datagram_size: 9000 } },
      listener_filters: [
        {
          name: 'envoy.filters.udp_listener.udp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig',
            stat_prefix: name,
            matcher: {
              on_no_match: {
                action: {
                  name: 'route',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.Route', cluster: name },
                },
              },
            },
            idle_timeout: '60s',
            hash_policies: [{ source_ip: true }],
            upstream_socket_config: { max_rx_datagram_size: 9000 },
          },
        },
      ],
    };
  });
  const clusters = locations.map((l) => {
    if (l.gateways.length === 0) throw new Error(`invariant failed: location ${l.name} has gateways`);
    const name = locationIdentifier(l.name);
    const paths = new Set(l.gateways.map((g) => g.healthPath));
    if (paths.size !== 1) throw new Error(`invariant failed: the gateways of ${l.name} share one health path`);
    return {
      name,
      type: 'STATIC',
      lb_policy: 'RING_HASH',
      common_lb_config: { healthy_panic_threshold: { value: 1 } },
      load_assignment: {
        cluster_name: name,
        endpoints: [
          {
            lb_endpoints: [...l.gateways]
              .sort((a, b) => (a.host < b.host ? -1 : 1))
              .map((g) => {
                if (!IPV4_OR_6.test(g.address)) throw new Error(`invariant failed: gateway address ${g.address} is an IP address`);
                return {
                  endpoint: {
                    hostname: g.host,
                    address: { socket_address: { protocol: 'UDP', address: g.address, port_value: g.port } },
                    health_check_config: { port_value: g.healthPort },
                  },
                };
              }),
          },
        ],
      },
      health_checks: [
        {
          timeout: seconds(m.check.timeoutMs),
          interval: seconds(m.check.intervalMs),
          unhealthy_threshold: m.check.fall,
          healthy_threshold: m.check.rise,
          no_traffic_interval: seconds(m.check.intervalMs),
          http_health_check: { path: [...paths][0] },
        },
      ],
    };
  });
  const bootstrap = {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: m.adminPort } } },
    static_resources: { listeners, clusters },
  };
  const header = [
    '# Written by Bulwark for Envoy: the UDP load balancer of the lb-mode locations of',
    `# ${m.host.replace(/[^A-Za-z0-9._-]/g, '')}. Run it with: envoy -c envoy.yaml`,
    '# Regenerate after a change of gateways: bulwark location lb-config LOCATION --format envoy',
    '',
  ].join('\n');
  return header + stringify(bootstrap, { lineWidth: 0 });
}
