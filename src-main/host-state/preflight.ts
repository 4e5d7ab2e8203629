// Preflight: what a host is and has, from one fixed script, and what stops an apply. The
// script takes no input, so nothing from Core or the admin reaches the remote shell here.
// Parsing and judging are pure and unit-tested.
import type { HostNeeds } from '../contract/index.js';

export type { HostNeeds };

export const FACTS_SCRIPT = [
  'echo "arch=$(uname -m)"',
  '. /etc/os-release 2>/dev/null; echo "os=${PRETTY_NAME:-unknown}"; echo "os_id=${ID:-unknown}"',
  'echo "uid=$(id -u)"',
  'if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then echo sudo=yes; else echo sudo=no; fi',
  'if [ -d /run/systemd/system ]; then echo systemd=yes; else echo systemd=no; fi',
  'for c in wg wireguard-go keepalived nginx haproxy apt-get; do if command -v "$c" >/dev/null 2>&1; then echo "cmd_$c=yes"; else echo "cmd_$c=no"; fi; done',
  'if [ -d /sys/module/wireguard ] || modinfo wireguard >/dev/null 2>&1; then echo wg_kernel=yes; else echo wg_kernel=no; fi',
  'if [ -c /dev/net/tun ]; then echo tun=yes; else echo tun=no; fi',
  'if [ -f /usr/lib/nginx/modules/ngx_stream_module.so ]; then echo nginx_stream=yes; else echo nginx_stream=no; fi',
  'for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && awk \'NR>1 && $4=="0A" {print "tcp=" $2}\' "$f"; done',
  'for f in /proc/net/udp /proc/net/udp6; do [ -r "$f" ] && awk \'NR>1 && $4=="07" {print "udp=" $2}\' "$f"; done',
  'for u in bulwark-gateway.service bulwark-edge.service bulwark-balancer.service bulwark-keepalived.service bulwark-haproxy.service; do echo "unit_$u=$(systemctl is-active "$u" 2>/dev/null)"; done',
  'true',
].join('\n');

export interface HostFacts {
  arch: string;
  os: string;
  osId: string;
  privileges: 'root' | 'sudo' | 'none';
  systemd: boolean;
  commands: Set<string>;
  wireguardKernel: boolean;
  tun: boolean;
  /** nginx's stream module (UDP load balancing) is installed. */
  nginxStream: boolean;
  tcpListening: Set<number>;
  udpListening: Set<number>;
  activeUnits: Set<string>;
}

function portOf(hexAddress: string): number {
  return parseInt(hexAddress.slice(hexAddress.lastIndexOf(':') + 1), 16);
}

export function parseFacts(text: string): HostFacts {
  const facts: HostFacts = {
    arch: 'unknown',
    os: 'unknown',
    osId: 'unknown',
    privileges: 'none',
    systemd: false,
    commands: new Set(),
    wireguardKernel: false,
    tun: false,
    nginxStream: false,
    tcpListening: new Set(),
    udpListening: new Set(),
    activeUnits: new Set(),
  };
  let uid = '';
  let sudo = false;
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'arch') facts.arch = value;
    else if (key === 'os') facts.os = value;
    else if (key === 'os_id') facts.osId = value;
    else if (key === 'uid') uid = value;
    else if (key === 'sudo') sudo = value === 'yes';
    else if (key === 'systemd') facts.systemd = value === 'yes';
    else if (key.startsWith('cmd_') && value === 'yes') facts.commands.add(key.slice(4));
    else if (key === 'wg_kernel') facts.wireguardKernel = value === 'yes';
    else if (key === 'tun') facts.tun = value === 'yes';
    else if (key === 'nginx_stream') facts.nginxStream = value === 'yes';
    else if (key === 'tcp') facts.tcpListening.add(portOf(value));
    else if (key === 'udp') facts.udpListening.add(portOf(value));
    else if (key.startsWith('unit_') && value === 'active') facts.activeUnits.add(key.slice(5));
  }
  facts.privileges = uid === '0' ? 'root' : sudo ? 'sudo' : 'none';
  return facts;
}

export interface Problem {
  message: string;
  /** Debian packages that would fix it, when it is a missing package. */
  packages: string[];
}

/** Everything that stops an apply on this host, each with its fix. Empty when the host is ready. */
export function preflightProblems(f: HostFacts, n: HostNeeds): Problem[] {
  const problems: Problem[] = [];
  const fix = (message: string, packages: string[] = []) => problems.push({ message, packages });
  if (!f.systemd) fix('the host does not run systemd; Bulwark installs its agents as systemd units, so use a systemd-based Linux');
  if (f.arch !== n.runtimeArch) fix(`the host is ${f.arch}, but this Bulwark ships agents for ${n.runtimeArch}; use a ${n.runtimeArch} host`);
  if (f.privileges === 'none') {
    fix(`${n.sshUser} is not root and has no passwordless sudo; connect as root, or allow it with "${n.sshUser} ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/bulwark`);
  }
  if (n.gateway) {
    if (!f.commands.has('wg')) fix('missing package wireguard-tools (the wg command)', ['wireguard-tools']);
    if (!f.wireguardKernel && !f.commands.has('wireguard-go')) {
      fix('neither kernel WireGuard nor wireguard-go is available; install the wireguard-go package (or load the wireguard kernel module)', ['wireguard-go']);
    } else if (!f.wireguardKernel && !f.tun) {
      fix('wireguard-go needs /dev/net/tun, which this host lacks; load the tun module (modprobe tun)');
    }
  }
  if (n.balancer) {
    if (!f.commands.has('nginx')) fix('missing package nginx (the UDP load balancer of an lb-mode location)', ['nginx', 'libnginx-mod-stream']);
    else if (!f.nginxStream) fix("nginx has no stream module (/usr/lib/nginx/modules/ngx_stream_module.so), which UDP load balancing needs", ['libnginx-mod-stream']);
  }
  if (n.edgeBalancer && !f.commands.has('haproxy')) fix('missing package haproxy (the load balancer in front of the edges)', ['haproxy']);
  if (n.keepalived && !f.commands.has('keepalived')) fix('missing package keepalived (it holds the floating IP of a vrrp location)', ['keepalived']);
  for (const p of n.tcpPorts) {
    if (f.tcpListening.has(p.port) && !f.activeUnits.has(p.unit)) {
      fix(`TCP port ${p.port} (${p.what}) is in use by another program; free it (ss -ltnp 'sport = :${p.port}' shows which)`);
    }
  }
  for (const p of n.udpPorts) {
    if (f.udpListening.has(p.port) && !f.activeUnits.has(p.unit)) {
      fix(`UDP port ${p.port} (${p.what}) is in use by another program; free it (ss -lunp 'sport = :${p.port}' shows which), or give the location another endpoint port`);
    }
  }
  return problems;
}

/** The admin-facing text for a list of problems; names the packages and the command to add them. */
export function describeProblems(host: string, problems: Problem[]): string {
  const packages = [...new Set(problems.flatMap((p) => p.packages))];
  const lines = problems.map((p) => `- ${p.message}`);
  if (packages.length > 0) {
    lines.push(`Install ${packages.join(' ')} on ${host} with "apt-get install -y ${packages.join(' ')}", or run the apply with --install-packages.`);
  }
  return `host ${host} is not ready:\n${lines.join('\n')}`;
}

/** Maps Node's process.arch to uname -m. */
export function unameArch(nodeArch: string): string {
  return ({ x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ?? nodeArch;
}
