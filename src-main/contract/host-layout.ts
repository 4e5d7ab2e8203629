// Where Bulwark puts things on a host. One table, used by the plan, the apply and uninstall.
import { createHash } from 'node:crypto';
import type { AgentRole } from './schemas/agent-config.js';

export const HOST_ROOT = '/opt/bulwark';
export const HOST_RUNTIME = '/opt/bulwark/bin/node';
export const HOST_CONFIG_DIR = '/etc/bulwark';
export const HOST_UNIT_DIR = '/etc/systemd/system';
export const HOST_STATE_DIR = '/var/lib/bulwark';
export const HOST_MANIFEST = '/var/lib/bulwark/manifest.json';
export const HOST_STAGING_DIR = '/var/lib/bulwark/staging';
export const HOST_BACKUP_DIR = '/var/lib/bulwark/backup';
/** Held (flock) by host-apply for its whole run, rollback included; a second apply waits for it. */
export const HOST_APPLY_LOCK = '/run/lock/bulwark-apply.lock';
/** What an offline bundle's install keeps on the host: the signing key it pinned and the Bulwark host name it installed. */
export const BUNDLE_TRUST_DIR = '/var/lib/bulwark/bundle';
export const BUNDLE_PINNED_KEY = '/var/lib/bulwark/bundle/signing-key';
export const BUNDLE_HOST_NAME = '/var/lib/bulwark/bundle/host';

/** True for a path Bulwark may write or delete on a host; anything else in a manifest is ignored. */
export function isBulwarkPath(path: string): boolean {
  if (path.split('/').some((part) => part === '..' || part === '.')) return false;
  return (
    path === HOST_RUNTIME ||
    /^\/opt\/bulwark\/[a-z]+\/[A-Za-z0-9._-]+$/.test(path) ||
    /^\/etc\/bulwark\/(tls\/|wg\/)?[A-Za-z0-9._-]+$/.test(path) ||
    /^\/etc\/systemd\/system\/bulwark-[a-z]+\.service$/.test(path)
  );
}

/** True for a unit name Bulwark may stop or disable. */
export function isBulwarkUnit(unit: string): boolean {
  return /^bulwark-[a-z]+\.service$/.test(unit);
}

/** Directories Bulwark creates and owns, parent first, with their modes. */
export const HOST_DIRS: readonly { path: string; mode: number }[] = [
  { path: HOST_ROOT, mode: 0o755 },
  { path: '/opt/bulwark/bin', mode: 0o755 },
  { path: '/opt/bulwark/gateway', mode: 0o755 },
  { path: '/opt/bulwark/edge', mode: 0o755 },
  { path: '/opt/bulwark/balancer', mode: 0o755 },
  { path: HOST_CONFIG_DIR, mode: 0o750 },
  { path: '/etc/bulwark/tls', mode: 0o750 },
  { path: '/etc/bulwark/wg', mode: 0o700 },
];

/** The directories of HOST_DIRS that hold one of these files (or a directory that does): what an apply creates, so a host gets no empty directory of a role it does not play. */
export function hostDirsFor(paths: readonly string[]): { path: string; mode: number }[] {
  return HOST_DIRS.filter((d) => paths.some((p) => p.startsWith(`${d.path}/`)));
}

/** Loopback ports of the agents' health endpoints. */
export const HEALTH_PORT: Record<AgentRole, number> = { gateway: 9461, edge: 9462, balancer: 9464 };

/** A gateway's data-plane health for load balancers (lb-mode locations), on its LAN address. */
export const DATAPLANE_HEALTH_PORT = 9463;

/** Ports where the agents accept Core's control link (mutual TLS; Core dials them). */
export const CONTROL_PORT: Record<AgentRole, number> = { gateway: 9471, edge: 9472, balancer: 9473 };

export const TLS_CA = '/etc/bulwark/tls/ca.pem';

/** The location's WireGuard private key on each of its gateways (0600, root). */
export function locationKeyPath(location: string): string {
  return `/etc/bulwark/wg/${location}.key`;
}

/**
 * The WireGuard interface of a location on its gateways: "bw-" and the name when that fits in
 * Linux's 15 characters, else "bw-" and 12 hex digits of the name's SHA-256. Stable, so an
 * agent restart finds its interface again.
 */
export function interfaceName(location: string): string {
  if (/^[A-Za-z0-9_.-]{1,12}$/.test(location)) return `bw-${location}`;
  return `bw-${createHash('sha256').update(location).digest('hex').slice(0, 12)}`;
}

export function agentCertPath(role: AgentRole): string {
  return `/etc/bulwark/tls/${role}.pem`;
}

export function agentKeyPath(role: AgentRole): string {
  return `/etc/bulwark/tls/${role}.key`;
}

export function agentProgramPath(role: AgentRole): string {
  return `${HOST_ROOT}/${role}/agent.mjs`;
}

export function agentConfigPath(role: AgentRole): string {
  return `${HOST_CONFIG_DIR}/${role}.json`;
}

export function agentUnitPath(role: AgentRole): string {
  return `${HOST_UNIT_DIR}/bulwark-${role}.service`;
}

/** Working directories of the agents' units (systemd StateDirectory=bulwark/<role>). */
export function agentStateDir(role: AgentRole): string {
  return `${HOST_STATE_DIR}/${role}`;
}

/** keepalived on a gateway host with vrrp locations: Bulwark's own config and unit. */
export const KEEPALIVED_CONF = '/etc/bulwark/keepalived.conf';
export const KEEPALIVED_UNIT_PATH = '/etc/systemd/system/bulwark-keepalived.service';
export const KEEPALIVED_PROGRAM = '/usr/sbin/keepalived';
/** The gateway agent's runtime directory (RuntimeDirectory=bulwark): health files and keepalived's FIFO. */
export const GATEWAY_RUN_DIR = '/run/bulwark';
export const KEEPALIVED_FIFO = '/run/bulwark/keepalived.fifo';

/** The file whose content (0 healthy, 1 not) keepalived tracks for a location's floating IP. */
export function trackFilePath(location: string): string {
  return `${GATEWAY_RUN_DIR}/health-${location}`;
}

/** The balancer agent's runtime directory (RuntimeDirectory=bulwark-balancer): nginx's config and pid file. */
export const BALANCER_RUN_DIR = '/run/bulwark-balancer';
export const NGINX_PROGRAM = '/usr/sbin/nginx';

/** keepalived's runtime directory (its unit's RuntimeDirectory=bulwark-keepalived) and pid files. */
export const KEEPALIVED_RUN_DIR = '/run/bulwark-keepalived';
export const KEEPALIVED_PID_FILE = `${KEEPALIVED_RUN_DIR}/keepalived.pid`;
export const KEEPALIVED_VRRP_PID_FILE = `${KEEPALIVED_RUN_DIR}/vrrp.pid`;

/** nginx's configuration (the balancer agent writes it) and pid file (nginx writes it) in a runtime directory. */
export function nginxConfPath(runDir: string): string {
  return `${runDir}/nginx.conf`;
}
export function nginxPidPath(runDir: string): string {
  return `${runDir}/nginx.pid`;
}
/** The pid file of the nginx a balancer runs, in the balancer's runtime directory. */
export const NGINX_PID_FILE = nginxPidPath(BALANCER_RUN_DIR);

/** wireguard-go's control socket for an interface (the gateway unit's RuntimeDirectory=wireguard); kernel WireGuard has none. */
export const WIREGUARD_RUN_DIR = '/run/wireguard';
export function wireguardSocketPath(iface: string): string {
  return `${WIREGUARD_RUN_DIR}/${iface}.sock`;
}

/** An edge's public HTTPS listener (all addresses): the pages and the public API, reached through the edge balancer. */
export const EDGE_PUBLIC_PORT = 9443;

/** The edge balancer: HAProxy in front of every edge, with Bulwark's own config and unit (an admin's haproxy is left alone). */
export const HAPROXY_PROGRAM = '/usr/sbin/haproxy';
export const HAPROXY_CONF = '/etc/bulwark/haproxy.cfg';
export const HAPROXY_UNIT = 'bulwark-haproxy.service';
export const HAPROXY_UNIT_PATH = '/etc/systemd/system/bulwark-haproxy.service';
/** The public certificate and its key in one file, as HAProxy reads them (0600). */
export const HAPROXY_PUBLIC_PEM = '/etc/bulwark/tls/public.pem';
/** The page HAProxy answers when no edge can take a request (a full HTTP response, as its errorfile wants). */
export const HAPROXY_UNAVAILABLE_PAGE = '/etc/bulwark/edge-unavailable.http';
/** HAProxy's runtime directory (RuntimeDirectory=bulwark-haproxy): its stats socket, which the balancer agent reads. */
export const HAPROXY_RUN_DIR = '/run/bulwark-haproxy';
export const HAPROXY_STATS_SOCKET = `${HAPROXY_RUN_DIR}/admin.sock`;
/** The port clients reach the edge balancer on (HTTPS). */
export const EDGE_BALANCER_PORT = 443;
/** A name every edge certificate carries besides its host's, so a proxy that checks one name for all upstreams (nginx) can verify any edge. */
export const EDGE_TLS_NAME = 'edges.bulwark.internal';
