// systemd units for the Bulwark agents. Pure: model in, unit text out.

import type { AgentRole } from '../../contract/index.js';

export type { AgentRole };

export interface AgentUnitModel {
  role: AgentRole;
  /** Absolute path of the program and its arguments, e.g. the bundled Node runtime and the agent script. */
  execStart: string[];
  /** Absolute path of the agent's configuration file (read-only for the agent). */
  configFile: string;
  /** Seconds systemd waits before restarting a failed agent. */
  restartSec: number;
}

/** What each role may do beyond an unprivileged process. */
const ROLE: Record<AgentRole, { description: string; capabilities: string[]; devices: string[]; families: string[]; extra: string[] }> = {
  // WireGuard: create the interface (kernel or TUN for wireguard-go), set addresses and routes.
  gateway: {
    description: 'Bulwark gateway agent (WireGuard data plane)',
    capabilities: ['CAP_NET_ADMIN', 'CAP_NET_RAW'],
    devices: ['/dev/net/tun rw'],
    families: ['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_NETLINK'],
    extra: [
      // wireguard-go runs beside the agent: stopping or restarting the agent must not take the
      // tunnels down (peers keep working across agent restarts), so only the agent is killed.
      'KillMode=process',
      // wireguard-go's control sockets (/run/wireguard/<interface>.sock), and /run/bulwark:
      // the health files keepalived tracks and keepalived's notify FIFO; kept across restarts.
      'RuntimeDirectory=wireguard bulwark',
      'RuntimeDirectoryPreserve=yes',
      'RuntimeDirectoryMode=0700',
    ],
  },
  // Edge: a plain HTTP service; binding a port below 1024 is its only privilege.
  edge: {
    description: 'Bulwark edge agent (public enrollment service)',
    capabilities: ['CAP_NET_BIND_SERVICE'],
    devices: [],
    families: ['AF_INET', 'AF_INET6', 'AF_UNIX'],
    extra: [],
  },
  // Balancer: runs nginx (its UDP load balancer) beside it, as root master with unprivileged
  // workers, and rewrites nginx's configuration when a gateway fails or comes back.
  balancer: {
    description: 'Bulwark balancer agent (UDP load balancer for lb-mode locations)',
    // nginx binds the locations' ports and switches its workers to an unprivileged user.
    capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_SETUID', 'CAP_SETGID'],
    devices: [],
    families: ['AF_INET', 'AF_INET6', 'AF_UNIX'],
    extra: [
      // nginx outlives the agent on purpose, like the gateway's tunnels: an agent restart
      // must not drop the clients' UDP sessions. A restarted agent adopts it from its pid file.
      'KillMode=process',
      // nginx's configuration and pid file, written by the agent; kept across agent restarts.
      'RuntimeDirectory=bulwark-balancer',
      'RuntimeDirectoryPreserve=yes',
      'RuntimeDirectoryMode=0700',
      // nginx opens a socket per UDP session and per upstream.
      'LimitNOFILE=65536',
    ],
  },
};

const C_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Quotes one word for a systemd command line (systemd.service(5), "Command lines"). Control
 * characters become C escapes: a raw carriage return or line break would end the line.
 */
export function systemdQuote(word: string): string {
  if (word.includes('\0')) throw new Error('invariant failed: a systemd command-line word cannot hold a NUL byte');
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(word)) return word;
  const control = (c: string) => C_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%').replace(/[\u0001-\u001f\u007f]/g, control)}"`;
}

export function unitName(role: AgentRole): string {
  return `bulwark-${role}.service`;
}

export function renderAgentUnit(m: AgentUnitModel): string {
  const role = ROLE[m.role];
  for (const p of [m.execStart[0] ?? '', m.configFile]) {
    if (!p.startsWith('/')) throw new Error(`invariant failed: ${JSON.stringify(p)} is an absolute path`);
  }
  // systemd refuses program names with quotes or other special characters.
  if (!/^\/[A-Za-z0-9._/ -]+$/.test(m.execStart[0] ?? '')) {
    throw new Error(`invariant failed: program path ${JSON.stringify(m.execStart[0])} holds only letters, digits, spaces and . _ / -`);
  }
  const lines = [
    '# Written by Bulwark; changes are overwritten by the next provisioning.',
    '[Unit]',
    `Description=${role.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    'StartLimitIntervalSec=60',
    'StartLimitBurst=10',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${m.execStart.map(systemdQuote).join(' ')}`,
    `Environment=BULWARK_AGENT_CONFIG=${systemdQuote(m.configFile)}`,
    'Restart=on-failure',
    `RestartSec=${m.restartSec}`,
    ...role.extra,
    `StateDirectory=bulwark/${m.role}`,
    'StateDirectoryMode=0700',
    `CapabilityBoundingSet=${role.capabilities.join(' ')}`,
    `AmbientCapabilities=${role.capabilities.join(' ')}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'SystemCallArchitectures=native',
    `RestrictAddressFamilies=${role.families.join(' ')}`,
    // V8 compiles code at run time, so MemoryDenyWriteExecute would stop Node: left out on purpose.
    ...(role.devices.length > 0 ? ['DevicePolicy=closed', ...role.devices.map((d) => `DeviceAllow=${d}`)] : ['PrivateDevices=yes']),
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
