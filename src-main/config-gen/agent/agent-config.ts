// The agents' configuration files. Pure: model in, file text out (stable key order, 2-space JSON,
// trailing newline), so a change in Core shows as a small diff in "bulwark provision plan".
import type { z } from 'zod';
import { AGENT_CONFIG_VERSION, type BalancedLocation, type BalancerAgentConfig, type EdgeAgentConfig, type GatewayAgentConfig, type GatewayLocationConfig, type HealthCheckPolicy } from '../../contract/index.js';

/** Where the agent listens for Core, and its TLS files (paths on the host). */
export interface ControlModel {
  address: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
}

export interface GatewayConfigModel {
  host: string;
  healthPort: number;
  control: ControlModel;
  locations: z.input<typeof GatewayLocationConfig>[];
  keepalivedFifo?: string | null;
  /** lb-mode locations: the data-plane health for load balancers, on the gateway's LAN address. */
  lanHealth?: { address: string; port: number; locations: string[] } | null;
}

export interface BalancerConfigModel {
  host: string;
  healthPort: number;
  control: ControlModel;
  nginx: { program: string; runDir: string; listenAddress: string };
  check: HealthCheckPolicy;
  locations: BalancedLocation[];
  /** The edges' HAProxy on this host, whose stats the agent reports; null or absent when none. */
  edges?: { statsSocket: string; backend: string } | null;
}

export interface EdgeConfigModel {
  host: string;
  healthPort: number;
  control: ControlModel;
  public: { address: string; port: number };
  trustedProxies: string[];
}

function control(m: ControlModel): ControlModel {
  return { address: m.address, port: m.port, ca: m.ca, cert: m.cert, key: m.key };
}

export function renderGatewayConfig(m: GatewayConfigModel): string {
  const config: GatewayAgentConfig = {
    version: AGENT_CONFIG_VERSION,
    role: 'gateway',
    host: m.host,
    health: { address: '127.0.0.1', port: m.healthPort },
    control: control(m.control),
    locations: [...m.locations]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((l) => ({
        name: l.name,
        interface: l.interface,
        privateKeyFile: l.privateKeyFile,
        network: l.network,
        gatewayAddress: l.gatewayAddress,
        listenPort: l.listenPort,
        publicKey: l.publicKey,
        mfa: l.mfa,
        disconnectThreshold: l.disconnectThreshold,
        vrrp: l.vrrp ? { vip: l.vrrp.vip, interface: l.vrrp.interface, instance: l.vrrp.instance, trackFile: l.vrrp.trackFile } : null,
      })),
    keepalivedFifo: m.keepalivedFifo ?? null,
    lanHealth: m.lanHealth ? { address: m.lanHealth.address, port: m.lanHealth.port, locations: [...m.lanHealth.locations].sort() } : null,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function renderEdgeConfig(m: EdgeConfigModel): string {
  const config: EdgeAgentConfig = {
    version: AGENT_CONFIG_VERSION,
    role: 'edge',
    host: m.host,
    health: { address: '127.0.0.1', port: m.healthPort },
    control: control(m.control),
    public: { address: m.public.address, port: m.public.port },
    trustedProxies: [...new Set(m.trustedProxies)].sort(),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function renderBalancerConfig(m: BalancerConfigModel): string {
  const config: BalancerAgentConfig = {
    version: AGENT_CONFIG_VERSION,
    role: 'balancer',
    host: m.host,
    health: { address: '127.0.0.1', port: m.healthPort },
    control: control(m.control),
    nginx: { program: m.nginx.program, runDir: m.nginx.runDir, listenAddress: m.nginx.listenAddress },
    check: { intervalMs: m.check.intervalMs, timeoutMs: m.check.timeoutMs, fall: m.check.fall, rise: m.check.rise },
    locations: [...m.locations].sort(byName).map((l) => ({
      name: l.name,
      listenPort: l.listenPort,
      failback: l.failback ?? 'auto',
      gateways: [...l.gateways].sort((a, b) => (a.host < b.host ? -1 : 1)).map((g) => ({ host: g.host, address: g.address, port: g.port, healthUrl: g.healthUrl })),
    })),
    edges: m.edges ? { statsSocket: m.edges.statsSocket, backend: m.edges.backend } : null,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
