// The lab's base image: Debian 12 with systemd, sshd, keepalived, wireguard-go, wireguard-tools
// and nginx (stream), built once per machine with debootstrap and cached by its recipe.
// Hosts boot it read-only (systemd-nspawn --volatile=overlay), so one image serves every host.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand } from '../helpers/tools.js';

export const IMAGE_CACHE = process.env.BULWARK_LAB_CACHE ?? '/var/cache/bulwark-lab';
const MIRROR = 'http://deb.debian.org/debian';
const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2'];
const LAB_PACKAGES = ['keepalived', 'wireguard-go', 'wireguard-tools', 'nginx-light', 'libnginx-mod-stream', 'haproxy', 'socat', 'iputils-ping', 'procps', 'ca-certificates', 'sudo'];

/** Each host gets fresh SSH host keys at boot, so a host re-created from the image has a new key. */
const HOSTKEYS_UNIT = `[Unit]
Description=Generate fresh SSH host keys for this lab host
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
`;

/** Bump when the recipe below changes in a way the package lists do not show. */
const RECIPE_VERSION = 1;

export function imageKey(): string {
  const recipe = JSON.stringify({ RECIPE_VERSION, BASE_PACKAGES, LAB_PACKAGES, HOSTKEYS_UNIT });
  return createHash('sha256').update(recipe).digest('hex').slice(0, 16);
}

export interface LabImage {
  dir: string;
  /** True when this call built it; false when it came from the cache. */
  built: boolean;
  /** How long the build took (recorded at build time for a cached image; 0 if unknown). */
  seconds: number;
}

/**
 * The lab's "bare" hosts: the image without keepalived, wireguard-go and wireguard-tools (and
 * what only they needed), as a host that was never prepared for Bulwark has them. Derived
 * from the lab image with apt purge (no network), cached beside it.
 */
export const BARE_PURGED = ['keepalived', 'wireguard-go', 'wireguard-tools'];

export function ensureBareImage(log: (line: string) => void = () => undefined): LabImage {
  const base = ensureLabImage(log);
  const t0 = Date.now();
  const dir = `${base.dir}-bare-${createHash('sha256').update(JSON.stringify(BARE_PURGED)).digest('hex').slice(0, 8)}`;
  if (existsSync(join(dir, '.complete'))) return { dir, built: false, seconds: 0 };
  return buildInPlace(dir, t0, (tmp) => {
    log(`lab image: deriving the bare image in ${tmp}`);
    run('copy', 'cp', ['-a', '--reflink=auto', base.dir, tmp]);
    rmSync(join(tmp, '.complete'));
    run('apt-get purge', 'chroot', [tmp, 'apt-get', 'purge', '-y', '-qq', '--autoremove', ...BARE_PURGED]);
  });
}

/**
 * Builds an image in a scratch directory beside `dir` and renames it into place once whole
 * (marked .complete), so a failed or interrupted build never looks cached.
 */
function buildInPlace(dir: string, t0: number, build: (tmp: string) => void): LabImage {
  const tmp = `${dir}.build-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    build(tmp);
    writeFileSync(join(tmp, '.build-seconds'), String((Date.now() - t0) / 1000));
    writeFileSync(join(tmp, '.complete'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, built: true, seconds: (Date.now() - t0) / 1000 };
}

function run(step: string, cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`lab image: step ${step} failed (${cmd} exit ${r.status ?? r.signal}):\n${tail}`);
  }
}

/** Returns the cached image, building it first if needed (about 1.5 minutes). */
export function ensureLabImage(log: (line: string) => void = () => undefined): LabImage {
  const t0 = Date.now();
  const dir = join(IMAGE_CACHE, `debian12-${imageKey()}`);
  if (existsSync(join(dir, '.complete'))) {
    const recorded = existsSync(join(dir, '.build-seconds')) ? Number(readFileSync(join(dir, '.build-seconds'), 'utf8')) : 0;
    return { dir, built: false, seconds: recorded };
  }
  for (const tool of ['debootstrap', 'systemd-nspawn']) {
    if (!hasCommand(tool)) {
      throw new Error(`lab image: ${tool} is missing; install it with "apt-get install -y debootstrap systemd-container"`);
    }
  }
  mkdirSync(IMAGE_CACHE, { recursive: true, mode: 0o700 });
  return buildInPlace(dir, t0, (tmp) => {
    log(`lab image: debootstrap into ${tmp}`);
    run('debootstrap', 'debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', tmp, MIRROR]);
    log('lab image: installing lab packages');
    run('apt-get update', 'chroot', [tmp, 'apt-get', 'update', '-qq']);
    run('apt-get install', 'chroot', [tmp, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...LAB_PACKAGES]);
    run('apt-get clean', 'chroot', [tmp, 'apt-get', 'clean']);
    // No daemon starts by itself: provisioning decides what runs on a lab host.
    for (const unit of ['keepalived.service', 'nginx.service', 'haproxy.service']) run(`disable ${unit}`, 'chroot', [tmp, 'systemctl', 'disable', unit]);
    execFileSync('sh', ['-c', 'rm -f "$1"/etc/ssh/ssh_host_*', 'sh', tmp]);
    writeFileSync(join(tmp, 'etc/systemd/system/lab-hostkeys.service'), HOSTKEYS_UNIT);
    run('enable lab-hostkeys', 'chroot', [tmp, 'systemctl', 'enable', 'lab-hostkeys.service']);
    run('enable ssh', 'chroot', [tmp, 'systemctl', 'enable', 'ssh.service']);
    mkdirSync(join(tmp, 'root/.ssh'), { recursive: true, mode: 0o700 });
  });
}
