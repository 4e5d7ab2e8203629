// Preflight judges what the fixed facts script printed. The sample below is real output of the
// script on a Debian 12 lab host, with a few lines changed per case.
import { describe, expect, test } from 'vitest';
import { describeProblems, parseFacts, preflightProblems, unameArch, type HostNeeds } from './preflight.js';

const SAMPLE = `arch=x86_64
os=Debian GNU/Linux 12 (bookworm)
os_id=debian
uid=0
sudo=no
systemd=yes
cmd_wg=yes
cmd_wireguard-go=yes
cmd_keepalived=yes
cmd_nginx=yes
cmd_apt-get=yes
wg_kernel=no
tun=yes
nginx_stream=no
tcp=00000000:0016
tcp=0100007F:24F5
udp=00000000:CA6C
unit_bulwark-gateway.service=inactive
unit_bulwark-edge.service=inactive
`;

const needs: HostNeeds = {
  host: 'gw-1',
  sshUser: 'root',
  runtimeArch: 'x86_64',
  gateway: true,
  keepalived: false,
  balancer: false,
  edgeBalancer: false,
  edge: false,
  tcpPorts: [{ port: 9461, unit: 'bulwark-gateway.service', what: 'gateway agent health' }],
  udpPorts: [{ port: 51820, unit: 'bulwark-gateway.service', what: 'WireGuard of location office' }],
};

const edit = (...lines: string[]) => lines.reduce((text, l) => text.replace(new RegExp(`^${l.split('=')[0]}=.*$`, 'm'), l), SAMPLE);

describe('preflight', () => {
  test('reads the facts', () => {
    const f = parseFacts(SAMPLE);
    expect(f).toMatchObject({ arch: 'x86_64', os: 'Debian GNU/Linux 12 (bookworm)', privileges: 'root', systemd: true, wireguardKernel: false, tun: true });
    expect([...f.tcpListening].sort()).toEqual([22, 9461]);
    expect([...f.udpListening]).toEqual([51820]);
  });

  test('a port held by another program is named with how to find it; our own agent holding it is fine', () => {
    expect(preflightProblems(parseFacts(SAMPLE), needs).map((p) => p.message)).toEqual([
      "TCP port 9461 (gateway agent health) is in use by another program; free it (ss -ltnp 'sport = :9461' shows which)",
      "UDP port 51820 (WireGuard of location office) is in use by another program; free it (ss -lunp 'sport = :51820' shows which), or give the location another endpoint port",
    ]);
    expect(preflightProblems(parseFacts(edit('unit_bulwark-gateway.service=active')), needs)).toEqual([]);
  });

  test('missing packages are named, with the apt-get command and the flag', () => {
    const f = parseFacts(edit('cmd_wg=no', 'cmd_wireguard-go=no', 'unit_bulwark-gateway.service=active'));
    const problems = preflightProblems(f, needs);
    expect(problems.flatMap((p) => p.packages)).toEqual(['wireguard-tools', 'wireguard-go']);
    expect(describeProblems('gw-1', problems)).toBe(
      'host gw-1 is not ready:\n- missing package wireguard-tools (the wg command)\n- neither kernel WireGuard nor wireguard-go is available; install the wireguard-go package (or load the wireguard kernel module)\nInstall wireguard-tools wireguard-go on gw-1 with "apt-get install -y wireguard-tools wireguard-go", or run the apply with --install-packages.',
    );
    // Kernel WireGuard makes wireguard-go unnecessary; an edge needs neither.
    expect(preflightProblems(parseFacts(edit('cmd_wireguard-go=no', 'wg_kernel=yes', 'unit_bulwark-gateway.service=active')), needs)).toEqual([]);
    expect(preflightProblems(parseFacts(edit('cmd_wg=no', 'cmd_wireguard-go=no')), { ...needs, gateway: false, tcpPorts: [], udpPorts: [] })).toEqual([]);
  });

  test('a load balancer needs nginx with its stream module', () => {
    const lb = { ...needs, gateway: false, balancer: true, tcpPorts: [], udpPorts: [] };
    expect(preflightProblems(parseFacts(edit('nginx_stream=yes')), lb)).toEqual([]);
    expect(preflightProblems(parseFacts(SAMPLE), lb)).toEqual([{ message: expect.stringMatching(/^nginx has no stream module/), packages: ['libnginx-mod-stream'] }]);
    expect(preflightProblems(parseFacts(edit('cmd_nginx=no')), lb).flatMap((p) => p.packages)).toEqual(['nginx', 'libnginx-mod-stream']);
  });

  test('no root and no sudo, another architecture, no systemd: each says what to do', () => {
    const f = parseFacts(edit('uid=1000', 'arch=aarch64', 'systemd=no', 'unit_bulwark-gateway.service=active'));
    const text = preflightProblems(f, { ...needs, sshUser: 'admin' }).map((p) => p.message).join('\n');
    expect(text).toContain('does not run systemd');
    expect(text).toContain('the host is aarch64, but this Bulwark ships agents for x86_64');
    expect(text).toContain('admin is not root and has no passwordless sudo; connect as root, or allow it with "admin ALL=(ALL) NOPASSWD: ALL" in /etc/sudoers.d/bulwark');
    expect(parseFacts(edit('uid=1000', 'sudo=yes')).privileges).toBe('sudo');
  });

  test('maps Node architectures to uname -m', () => {
    expect(unameArch('x64')).toBe('x86_64');
    expect(unameArch('arm64')).toBe('aarch64');
  });
});
