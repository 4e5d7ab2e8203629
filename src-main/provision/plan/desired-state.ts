// What a host should have, from Core's model of it. Pure: no SSH, no file system.
import { createHash } from 'node:crypto';
import type { FileKind } from '../../contract/index.js';
import type { Artifact, DesiredFile, DesiredHost, DesiredUnit } from '../../host-state/desired.js';
import { renderBalancerConfig, renderEdgeConfig, renderGatewayConfig, type BalancerConfigModel, type GatewayConfigModel } from '../../config-gen/agent/agent-config.js';
import { renderAgentUnit, unitName, type AgentRole } from '../../config-gen/systemd/agent-unit.js';
import { renderKeepalivedConf, type KeepalivedModel } from '../../config-gen/keepalived/keepalived-conf.js';
import { KEEPALIVED_UNIT, renderKeepalivedUnit } from '../../config-gen/systemd/keepalived-unit.js';
import { EDGE_BACKEND, renderHaproxyConf, type EdgeBalancerModel } from '../../config-gen/haproxy/haproxy-conf.js';
import { renderUnavailableHttp } from '../../config-gen/haproxy/unavailable-page.js';
import { renderHaproxyUnit } from '../../config-gen/systemd/haproxy-unit.js';
import { EDGE_PUBLIC_PORT, HAPROXY_CONF, HAPROXY_PROGRAM, HAPROXY_PUBLIC_PEM, HAPROXY_RUN_DIR, HAPROXY_STATS_SOCKET, HAPROXY_UNAVAILABLE_PAGE, HAPROXY_UNIT, HAPROXY_UNIT_PATH, BALANCER_RUN_DIR, CONTROL_PORT, HEALTH_PORT, HOST_RUNTIME, NGINX_PROGRAM, KEEPALIVED_CONF, KEEPALIVED_FIFO, KEEPALIVED_PID_FILE, KEEPALIVED_PROGRAM, KEEPALIVED_UNIT_PATH, KEEPALIVED_VRRP_PID_FILE, TLS_CA, agentCertPath, agentConfigPath, agentKeyPath, agentProgramPath, agentUnitPath } from '../../contract/host-layout.js';

export interface Artifacts {
  runtime: Artifact;
  gateway: Artifact;
  edge: Artifact;
  balancer: Artifact;
  hostApply: Artifact;
}

/** An agent's certificate and key (PEM); null when it is to be issued at the next apply. */
export type AgentTls = { certPem: string; keyPem: string } | null;

export interface HostModel {
  name: string;
  /** The locations this host is a gateway of; empty when it is not a gateway. */
  gatewayLocations: GatewayConfigModel['locations'];
  edge: boolean;
  /** Where the agents listen for Core: "0.0.0.0", or "::" for a host Core reaches over IPv6. */
  controlAddress: string;
  tls: { caPem: string; agents: Partial<Record<AgentRole, AgentTls>> };
  /** Each gateway location's WireGuard private key (base64), delivered as a secret file. */
  locationKeys: Record<string, string>;
  /** keepalived for the host's vrrp locations; null when it has none. */
  keepalived: KeepalivedModel | null;
  /** A gateway of lb-mode locations: where its data-plane health for the load balancer listens. */
  lanHealth: GatewayConfigModel['lanHealth'];
  /** The load balancer of lb-mode locations: what its agent balances and how it checks; null when it is none. */
  balancer: (Pick<BalancerConfigModel, 'check' | 'locations'> & { listenAddress: string }) | null;
  /** An edge: the addresses whose X-Forwarded-For header it believes (the edge balancer's). */
  edgeTrustedProxies: string[];
  /** The HAProxy in front of the edges, when this host runs it; publicPem: the public certificate, chain and key (a secret). */
  edgeBalancer: { config: EdgeBalancerModel; publicPem: string | null } | null;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function textFile(path: string, kind: FileKind, mode: number, text: string, secret = false): DesiredFile {
  return { path, kind, mode, sha256: sha256Hex(text), size: Buffer.byteLength(text), secret, source: { kind: 'text', text } };
}

function artifactFile(path: string, kind: FileKind, mode: number, artifact: Artifact): DesiredFile {
  return { path, kind, mode, sha256: artifact.sha256, size: artifact.size, secret: false, source: { kind: 'artifact', artifact } };
}

function pendingFile(path: string, kind: FileKind, mode: number, what: string, secret: boolean): DesiredFile {
  return { path, kind, mode, sha256: '', size: 0, secret, source: { kind: 'pending', what } };
}

const KIND_ORDER: Record<FileKind, number> = { runtime: 0, program: 1, certificate: 2, key: 3, config: 4, unit: 5 };

/** The agents a host runs: a gateway for its locations, an edge, a balancer for what it balances. */
export function agentRolesOf(model: Pick<HostModel, 'gatewayLocations' | 'edge' | 'balancer'>): AgentRole[] {
  const roles: AgentRole[] = [];
  if (model.gatewayLocations.length > 0) roles.push('gateway');
  if (model.edge) roles.push('edge');
  if (model.balancer) roles.push('balancer');
  return roles;
}

/** The config file of one of the host's agents (its SHA-256 is what the agent reports on its link). */
export function agentConfigText(model: Omit<HostModel, 'tls' | 'locationKeys'>, role: AgentRole): string {
  const control = { address: model.controlAddress, port: CONTROL_PORT[role], ca: TLS_CA, cert: agentCertPath(role), key: agentKeyPath(role) };
  if (role === 'gateway') {
    return renderGatewayConfig({ host: model.name, healthPort: HEALTH_PORT.gateway, control, locations: model.gatewayLocations, keepalivedFifo: model.keepalived ? KEEPALIVED_FIFO : null, lanHealth: model.lanHealth });
  }
  if (role === 'balancer') {
    return renderBalancerConfig({
      host: model.name,
      healthPort: HEALTH_PORT.balancer,
      control,
      nginx: { program: NGINX_PROGRAM, runDir: BALANCER_RUN_DIR, listenAddress: model.balancer!.listenAddress },
      check: model.balancer!.check,
      locations: model.balancer!.locations,
      edges: model.edgeBalancer ? { statsSocket: HAPROXY_STATS_SOCKET, backend: EDGE_BACKEND } : null,
    });
  }
  return renderEdgeConfig({ host: model.name, healthPort: HEALTH_PORT.edge, control, public: { address: model.controlAddress, port: EDGE_PUBLIC_PORT }, trustedProxies: model.edgeTrustedProxies });
}

export function desiredHost(model: HostModel, artifacts: Artifacts): DesiredHost {
  const files: DesiredFile[] = [];
  const units: DesiredUnit[] = [];
  const roles = agentRolesOf(model);
  if (roles.length > 0) files.push(artifactFile(HOST_RUNTIME, 'runtime', 0o755, artifacts.runtime));
  if (roles.length > 0 || model.edgeBalancer) files.push(textFile(TLS_CA, 'certificate', 0o644, model.tls.caPem));
  for (const role of roles) {
    const tls = model.tls.agents[role] ?? null;
    if (tls) {
      files.push(textFile(agentCertPath(role), 'certificate', 0o644, tls.certPem));
      files.push(textFile(agentKeyPath(role), 'key', 0o600, tls.keyPem, true));
    } else {
      files.push(pendingFile(agentCertPath(role), 'certificate', 0o644, 'issued by Core\'s CA at apply', false));
      files.push(pendingFile(agentKeyPath(role), 'key', 0o600, 'made at apply', true));
    }
    if (role === 'gateway') {
      for (const l of model.gatewayLocations) {
        const key = model.locationKeys[l.name];
        if (key === undefined) throw new Error(`invariant failed: the model carries the private key of location ${l.name}`);
        files.push(textFile(l.privateKeyFile, 'key', 0o600, `${key}\n`, true));
      }
    }
    const config = agentConfigText(model, role);
    const program = artifactFile(agentProgramPath(role), 'program', 0o644, artifacts[role]);
    const configFile = textFile(agentConfigPath(role), 'config', 0o640, config);
    const unit = textFile(
      agentUnitPath(role),
      'unit',
      0o644,
      renderAgentUnit({ role, execStart: [HOST_RUNTIME, agentProgramPath(role)], configFile: agentConfigPath(role), restartSec: 2 }),
    );
    files.push(program, configFile, unit);
    units.push({
      unit: unitName(role),
      role,
      dependsOn: [HOST_RUNTIME, program.path, configFile.path, unit.path],
      reloadOn: [],
      healthUrl: `http://127.0.0.1:${HEALTH_PORT[role]}/healthz`,
      configPath: configFile.path,
      configSha256: configFile.sha256,
    });
  }
  if (model.keepalived) {
    const conf = textFile(KEEPALIVED_CONF, 'config', 0o644, renderKeepalivedConf(model.keepalived));
    const unit = textFile(KEEPALIVED_UNIT_PATH, 'unit', 0o644, renderKeepalivedUnit({ program: KEEPALIVED_PROGRAM, configFile: KEEPALIVED_CONF, pidFile: KEEPALIVED_PID_FILE, vrrpPidFile: KEEPALIVED_VRRP_PID_FILE }));
    files.push(conf, unit);
    // keepalived re-reads its configuration on SIGHUP and keeps each instance's state.
    units.push({ unit: KEEPALIVED_UNIT, role: null, dependsOn: [conf.path, unit.path], reloadOn: [conf.path], healthUrl: null, configPath: conf.path, configSha256: conf.sha256 });
  }
  if (model.edgeBalancer) {
    const conf = textFile(HAPROXY_CONF, 'config', 0o644, renderHaproxyConf(model.edgeBalancer.config));
    const page = textFile(HAPROXY_UNAVAILABLE_PAGE, 'config', 0o644, renderUnavailableHttp());
    const pem = model.edgeBalancer.publicPem === null ? pendingFile(HAPROXY_PUBLIC_PEM, 'certificate', 0o600, 'the public certificate, at apply', true) : textFile(HAPROXY_PUBLIC_PEM, 'certificate', 0o600, model.edgeBalancer.publicPem, true);
    const unit = textFile(HAPROXY_UNIT_PATH, 'unit', 0o644, renderHaproxyUnit({ program: HAPROXY_PROGRAM, configFile: HAPROXY_CONF, runDir: HAPROXY_RUN_DIR }));
    files.push(conf, page, pem, unit);
    // HAProxy re-reads all three on a reload (SIGUSR2, hitless): only its unit changing restarts it.
    units.push({ unit: HAPROXY_UNIT, role: null, dependsOn: [conf.path, page.path, pem.path, unit.path], reloadOn: [conf.path, page.path, pem.path], healthUrl: null, configPath: conf.path, configSha256: conf.sha256 });
  }
  files.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.path < b.path ? -1 : 1));
  return {
    host: model.name,
    roles: [
      ...model.gatewayLocations.map((l) => `gateway:${l.name}`).sort(),
      ...(model.edge ? ['edge'] : []),
      ...(model.balancer ? model.balancer.locations.map((l) => `balancer:${l.name}`).sort() : []),
      ...(model.edgeBalancer ? ['edge-balancer'] : []),
    ],
    files,
    units,
  };
}
