// A lab: Debian hosts that boot systemd (systemd-nspawn), each in its own network namespace,
// on a private bridge in a switch namespace; the test process reaches them through one veth.
// Tests use this module and never call `ip netns` themselves. Everything a lab makes is named
// with its id and removed by down(), which stops only the processes it started, by PID.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { addressAt, formatCidr, parseCidr, type Cidr } from '../../src-main/net/ip.js';
import { hasCommand } from '../helpers/tools.js';
import { ensureBareImage, ensureLabImage } from './image.js';
import { chooseLabPrefix, readMachineNetwork } from './network.js';
import { childrenOf, ip, isRunning, killQuietly, removeLabLeftovers, STATE_PREFIX, STATE_ROOT, waitGone } from './teardown.js';

export { isRunning, removeLabLeftovers };


export interface LabHost {
  name: string;
  address: string;
  netns: string;
  /** PID of the systemd-nspawn process we started. */
  nspawnPid: number;
}

/**
 * A free /27 of the lab's documentation ranges, recorded under /tmp/bulwark-lab-ID (as a lab's
 * own) so that labs and other tests made at the same moment never pick the same one: chosen
 * under a lock, avoiding the ranges others recorded. Removing that directory (a lab's down(),
 * or release() for a plain reservation) frees it.
 */
export async function reserveLabPrefix(): Promise<{ id: string; prefix: Cidr; dir: string; release: () => void }> {
  return withLabLock(() => {
    const taken = readdirSync(STATE_ROOT)
      .filter((d) => d.startsWith(STATE_PREFIX))
      .flatMap((d) => {
        try {
          const c = parseCidr(readFileSync(join(STATE_ROOT, d, 'prefix'), 'utf8').trim());
          return c.ok ? [c.value] : [];
        } catch {
          return [];
        }
      });
    const id = randomBytes(2).toString('hex');
    const prefix = chooseLabPrefix(readMachineNetwork(), taken);
    const dir = join(STATE_ROOT, `${STATE_PREFIX}${id}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'prefix'), formatCidr(prefix));
    return { id, prefix, dir, release: () => rmSync(dir, { recursive: true, force: true }) };
  });
}

/** Why lab tests cannot run here, or null when they can. */
export function labMissing(): string | null {
  if (process.getuid?.() !== 0) return 'lab tests need root (they create network namespaces and boot containers)';
  for (const tool of ['systemd-nspawn', 'debootstrap', 'ssh', 'ssh-keygen']) {
    if (!hasCommand(tool)) {
      return `${tool} is missing; install it with "apt-get install -y systemd-container debootstrap openssh-client"`;
    }
  }
  return null;
}


function waitForPort(address: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      const s = connect({ host: address, port, timeout: 500 });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      const retry = () => {
        s.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 200);
      };
      s.once('error', retry);
      s.once('timeout', retry);
    };
    attempt();
  });
}

export class Lab {
  readonly id: string;
  readonly prefix: Cidr;
  readonly dir: string;
  readonly hosts = new Map<string, LabHost>();
  private readonly image: string;
  private next = 10;

  private constructor(id: string, prefix: Cidr, image: string) {
    this.id = id;
    this.prefix = prefix;
    this.image = image;
    this.dir = join(STATE_ROOT, `${STATE_PREFIX}${id}`);
  }

  get switchNs(): string {
    return `bwl${this.id}-sw`;
  }
  get adminLink(): string {
    return `bwl${this.id}a`;
  }
  get adminAddress(): string {
    return addressAt(this.prefix, 1n);
  }
  get keyFile(): string {
    return join(this.dir, 'id_ed25519');
  }

  /** Builds (or reuses) the image, picks a free prefix, and creates the switch and the admin link. */
  static async create(log: (line: string) => void = () => undefined): Promise<Lab> {
    const missing = labMissing();
    if (missing) throw new Error(missing);
    const image = ensureLabImage(log);
    // Labs made at the same moment (parallel test files) must not pick the same range: choose
    // under a lock, avoiding the ranges other labs recorded, and record ours before letting go.
    const { id, prefix } = await reserveLabPrefix();
    const lab = new Lab(id, prefix, image.dir);
    try {
      mkdirSync(join(lab.dir, 'keys'), { recursive: true, mode: 0o700 });
      mkdirSync('/run/systemd/nspawn', { recursive: true });
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', lab.keyFile]);
      writeFileSync(join(lab.dir, 'keys', 'authorized_keys'), readFileSync(`${lab.keyFile}.pub`), { mode: 0o600 });
      ip('netns', 'add', lab.switchNs);
      ip('-n', lab.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lab.switchNs, 'link', 'set', 'br0', 'up');
      ip('link', 'add', lab.adminLink, 'type', 'veth', 'peer', 'name', 'adm0', 'netns', lab.switchNs);
      ip('-n', lab.switchNs, 'link', 'set', 'adm0', 'master', 'br0', 'up');
      ip('addr', 'add', `${lab.adminAddress}/${lab.prefix.prefix}`, 'dev', lab.adminLink);
      ip('link', 'set', lab.adminLink, 'up');
    } catch (err) {
      await lab.down();
      throw err;
    }
    return lab;
  }

  /**
   * Boots a host with a fresh root overlay and fresh SSH host keys; resolves when sshd answers.
   * bare: from the image without keepalived and WireGuard (image.ts, BARE_PURGED).
   */
  async boot(name: string, opts: { bare?: boolean } = {}): Promise<LabHost> {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(name)) throw new Error(`lab host name ${JSON.stringify(name)}: use 1-6 lowercase letters and digits`);
    const existing = this.hosts.get(name);
    const address = existing?.address ?? addressAt(this.prefix, BigInt(this.next++));
    const netns = `bwl${this.id}-${name}`;
    const peer = `v${this.id}${name}`;
    ip('netns', 'add', netns);
    // The kernel tears down a deleted namespace (and the veth end in it) asynchronously, so a
    // host re-created at once can find its old switch port still there: remove it first.
    try {
      ip('-n', this.switchNs, 'link', 'del', peer);
    } catch {
      // not there: the usual case
    }
    ip('link', 'add', 'eth0', 'netns', netns, 'type', 'veth', 'peer', 'name', peer, 'netns', this.switchNs);
    ip('-n', this.switchNs, 'link', 'set', peer, 'master', 'br0', 'up');
    ip('-n', netns, 'addr', 'add', `${address}/${this.prefix.prefix}`, 'dev', 'eth0');
    // A host re-created at the same address has a new MAC, and the other hosts still hold the
    // old one as REACHABLE until it ages out (a balancer then fails its checks for a minute):
    // announce the new one when the link comes up, and forget the old one everywhere now.
    execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_notify=1']);
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    this.forgetNeighbour(address, name);
    const hostnameFile = join(this.dir, `${name}.hostname`);
    writeFileSync(hostnameFile, `${name}\n`);
    const logFile = join(this.dir, `${name}.log`);
    const out = openSync(logFile, 'a');
    const machine = `bwl${this.id}${name}`;
    const child = spawn(
      'systemd-nspawn',
      [
        '-D', opts.bare ? ensureBareImage().dir : this.image, '--register=no', '--keep-unit', '--volatile=overlay', '-q',
        `--network-namespace-path=/run/netns/${netns}`, '--capability=CAP_NET_ADMIN,CAP_NET_RAW', '--bind=/dev/net/tun',
        `--bind-ro=${join(this.dir, 'keys')}:/root/.ssh`, `--bind-ro=${hostnameFile}:/etc/hostname`,
        '-M', machine, '-b',
      ],
      { stdio: ['ignore', out, out], detached: true },
    );
    child.unref();
    closeSync(out);
    const host: LabHost = { name, address, netns, nspawnPid: child.pid ?? -1 };
    writeFileSync(join(this.dir, `${name}.pid`), String(host.nspawnPid));
    this.hosts.set(name, host);
    if (!(await waitForPort(address, 22, 60_000))) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`lab host ${name} (${address}) did not answer on port 22 within 60 s:\n${tail}`);
    }
    return host;
  }

  /** Drops every lab host's (and this machine's) neighbour entry for an address, but its own. */
  private forgetNeighbour(address: string, except: string): void {
    ip('neigh', 'flush', 'dev', this.adminLink, 'to', address);
    for (const other of this.hosts.values()) {
      if (other.name === except) continue;
      try {
        ip('-n', other.netns, 'neigh', 'flush', 'to', address);
      } catch {
        // that host is down (its namespace gone): nothing to forget
      }
    }
  }

  /** Runs a command on a host over SSH (no host key checking: the lab's own test access). */
  ssh(name: string, command: string): { code: number; stdout: string; stderr: string } {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no lab host ${name}`);
    const r = spawnSync('ssh', ['-i', this.keyFile, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
      '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5', `root@${host.address}`, command], { encoding: 'utf8', timeout: 30_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** PID (on this machine) of the host's init, systemd. */
  initPid(name: string): number {
    const host = this.hosts.get(name);
    const init = host ? childrenOf(host.nspawnPid)[0] : undefined;
    if (init === undefined) throw new Error(`lab host ${name} is not running`);
    return init;
  }

  /** Runs a program inside the host's namespaces, without SSH (for faults and checks). */
  exec(name: string, argv: string[], timeoutMs = 30_000): { code: number; stdout: string; stderr: string } {
    const r = spawnSync('nsenter', ['-t', String(this.initPid(name)), '-m', '-u', '-i', '-n', '-p', '--', ...argv], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /**
   * A network namespace on the lab's switch with no container in it, for a program of this
   * machine that must see the lab as a client does (the browser of the edge test): inside it,
   * no other lab's interfaces come and go (Chromium aborts a page load with
   * ERR_NETWORK_CHANGED when an address of its namespace changes). Gone with the lab.
   */
  attachNamespace(name: string): { netns: string; address: string } {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(name)) throw new Error(`lab namespace name ${JSON.stringify(name)}: use 1-6 lowercase letters and digits`);
    const address = addressAt(this.prefix, BigInt(this.next++));
    const netns = `bwl${this.id}-${name}`;
    const peer = `v${this.id}${name}`;
    ip('netns', 'add', netns);
    ip('link', 'add', 'eth0', 'netns', netns, 'type', 'veth', 'peer', 'name', peer, 'netns', this.switchNs);
    ip('-n', this.switchNs, 'link', 'set', peer, 'master', 'br0', 'up');
    ip('-n', netns, 'addr', 'add', `${address}/${this.prefix.prefix}`, 'dev', 'eth0');
    // No IPv6 link-local address: the kernel would add one "tentative" and make it valid about
    // 2 s after the link is up (duplicate address detection), an address change that Chromium,
    // started by then, answers by aborting its requests (ERR_NETWORK_CHANGED): the edge test's
    // first call then failed now and again.
    ip('-n', netns, 'link', 'set', 'eth0', 'addrgenmode', 'none');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    return { netns, address };
  }

  /**
   * A private link between two hosts (a second interface each, "int0"), on a documentation /27
   * that nothing on this machine uses: hostA gets .1, hostB .2. Gone with the hosts' namespaces.
   */
  link(hostA: string, hostB: string): { prefix: Cidr; a: string; b: string } {
    const a = this.hosts.get(hostA);
    const b = this.hosts.get(hostB);
    if (!a || !b) throw new Error(`no lab host ${a ? hostB : hostA}`);
    const prefix = chooseLabPrefix(readMachineNetwork(), [this.prefix]);
    const [addrA, addrB] = [addressAt(prefix, 1n), addressAt(prefix, 2n)];
    ip('link', 'add', `i${this.id}${hostA}`, 'netns', a.netns, 'type', 'veth', 'peer', 'name', `i${this.id}${hostB}`, 'netns', b.netns);
    ip('-n', a.netns, 'link', 'set', `i${this.id}${hostA}`, 'name', 'int0');
    ip('-n', b.netns, 'link', 'set', `i${this.id}${hostB}`, 'name', 'int0');
    ip('-n', a.netns, 'addr', 'add', `${addrA}/${prefix.prefix}`, 'dev', 'int0');
    ip('-n', b.netns, 'addr', 'add', `${addrB}/${prefix.prefix}`, 'dev', 'int0');
    ip('-n', a.netns, 'link', 'set', 'int0', 'up');
    ip('-n', b.netns, 'link', 'set', 'int0', 'up');
    return { prefix, a: addrA, b: addrB };
  }

  /** Fault: sshd is stopped, and every SSH session on the host ends at once. */
  stopSshd(name: string): void {
    this.exec(name, ['sh', '-c', 'systemctl stop ssh.service ssh.socket 2>/dev/null; pkill -KILL -x sshd; true']);
  }

  startSshd(name: string): void {
    this.exec(name, ['systemctl', 'start', 'ssh.service']);
  }

  /** Fault: a directory of the host becomes read-only (a read-only bind mount over it). */
  makeReadOnly(name: string, dir: string): void {
    const r = this.exec(name, ['sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"', 'sh', dir]);
    if (r.code !== 0) throw new Error(`cannot make ${dir} read-only on ${name}: ${r.stderr}`);
  }

  makeWritable(name: string, dir: string): void {
    this.exec(name, ['umount', dir]);
  }

  /**
   * Another program reloading systemd while Bulwark works (apt, config management): `systemctl
   * daemon-reload` every `intervalS` seconds on the host until stop(), which ends it by its PID.
   */
  startReloadLoop(name: string, intervalS = 0.2): { pid: number; stop(): void } {
    const r = this.exec(name, ['sh', '-c', 'nohup sh -c "while true; do systemctl daemon-reload; sleep $1; done" sh "$1" >/dev/null 2>&1 & echo $!', 'sh', String(intervalS)]);
    const pid = Number(r.stdout.trim());
    if (!(pid > 0)) throw new Error(`cannot start the reload loop on ${name}: ${r.stderr}`);
    return { pid, stop: () => void this.exec(name, ['kill', String(pid)]) };
  }

  /**
   * Puts a file into the host's own file system (as a USB stick would bring it), without any
   * network: through /proc/<init>/root, the host's root as its processes see it.
   */
  putFile(name: string, localPath: string, hostPath: string): void {
    copyFileSync(localPath, `/proc/${this.initPid(name)}/root${hostPath}`);
  }

  /** Fault: the host's link to the switch goes down (packets are dropped, nothing is closed). */
  cutLink(name: string, down = true): void {
    ip('-n', this.switchNs, 'link', 'set', `v${this.id}${name}`, down ? 'down' : 'up');
  }

  /** Fault: every process of the host stops (SIGSTOP) or continues (SIGCONT). */
  freeze(name: string, frozen = true): void {
    const ns = readlinkQuietly(`/proc/${this.initPid(name)}/ns/pid`);
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      if (readlinkQuietly(`/proc/${pid}/ns/pid`) === ns) {
        try {
          process.kill(Number(pid), frozen ? 'SIGSTOP' : 'SIGCONT');
        } catch {
          // exited meanwhile
        }
      }
    }
  }

  /** Power loss: SIGKILL to the host's init ends every process of the host at once. */
  powerOff(name: string): void {
    const host = this.hosts.get(name);
    if (!host) return;
    for (const pid of childrenOf(host.nspawnPid)) killQuietly(pid);
    killQuietly(host.nspawnPid);
    waitGone(host.nspawnPid, 5000);
    try {
      ip('netns', 'del', host.netns);
    } catch {
      // already gone
    }
  }

  /** Removes everything this lab made, even after a failed test. */
  async down(): Promise<void> {
    for (const name of this.hosts.keys()) this.powerOff(name);
    this.hosts.clear();
    removeLabLeftovers(this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

/** Runs `fn` while holding a machine-wide lock (an exclusive mkdir), waiting up to 30 s for it. */
async function withLabLock<T>(fn: () => T): Promise<T> {
  // Not bulwark-lab.lock: that name is the file developers flock(1) to run one lab test at a time.
  const lock = join(STATE_ROOT, 'bulwark-lab.mkdir-lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} is held for more than 30 s; remove it if no lab test runs`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readlinkQuietly(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}
