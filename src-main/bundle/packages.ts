// The Debian packages a bundle carries (--with-packages): those the host's roles need (the
// preflight's own list, judged against a host that has nothing), with their dependencies,
// for the target's release and architecture. Gathered with this machine's apt when it runs
// that same release and architecture: apt works out the closure as for an empty system (a
// status file of its own), leaves out what every Debian has (Priority: required), and
// downloads the rest into a cache. Anywhere else, the admin gathers them (docs/bundle.md) and
// gives the directory (--packages-from).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BulwarkError, type HostNeeds, type OsRelease } from '../contract/index.js';
import { parseFacts, preflightProblems } from '../host-state/preflight.js';
import { osRelease } from '../bundle-format/verify-bundle.js';
import { lastLines } from '../text/last-lines.js';
import type { PackageFile } from './bundle-tree.js';

const run = promisify(execFile);

/** Debian's architecture names for uname -m's. */
const DEB_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'armhf', i686: 'i386', ppc64le: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };

/** The packages the roles need on a host that has none of them: the preflight's fixes. */
export function rolePackages(needs: HostNeeds): string[] {
  const bare = parseFacts('systemd=yes\ntun=yes\nuid=0\n');
  bare.arch = needs.runtimeArch;
  return [...new Set(preflightProblems(bare, { ...needs, tcpPorts: [], udpPorts: [] }).flatMap((p) => p.packages))].sort();
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function describe(dir: string, names: string[]): Promise<PackageFile[]> {
  return Promise.all(names.map(async (name) => ({ name, localPath: join(dir, name), size: lstatSync(join(dir, name)).size, sha256: await sha256File(join(dir, name)) })));
}

/** The admin's own directory of .deb files, which must hold every package the roles need. */
export async function packagesFrom(dir: string, install: string[]): Promise<PackageFile[]> {
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) throw BulwarkError.field('packagesFrom', `${dir} is not a directory on Core's machine; give a directory of .deb files`);
  const names = readdirSync(dir).filter((n) => n.endsWith('.deb') && lstatSync(join(dir, n)).isFile()).sort();
  const bad = names.filter((n) => !/^[A-Za-z0-9_][A-Za-z0-9._~+%-]*\.deb$/.test(n));
  if (bad.length > 0) throw BulwarkError.field('packagesFrom', `${bad[0]} is not a Debian package file name (name_version_arch.deb); rename or remove it`);
  const missing = install.filter((p) => !names.some((n) => n.startsWith(`${p}_`)));
  if (missing.length > 0) {
    throw BulwarkError.field('packagesFrom', `${dir} has no ${missing.map((m) => `${m}_*.deb`).join(', ')}; the host's roles need ${install.join(' ')} and their dependencies (docs/bundle.md says how to gather them)`);
  }
  return describe(dir, names);
}

function thisRelease(): OsRelease | null {
  try {
    const r = osRelease(readFileSync('/etc/os-release', 'utf8'));
    return r.id !== 'unknown' && r.versionId !== 'unknown' ? r : null;
  } catch {
    return null;
  }
}

/** Downloads the closure of `install` with this machine's apt into `cache`; refuses where apt would fetch for another release or architecture. */
export async function downloadPackages(install: string[], target: { os: OsRelease; arch: string }, cache: string): Promise<PackageFile[]> {
  const here = thisRelease();
  let debArch = '';
  try {
    debArch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  } catch {
    // not Debian
  }
  const want = DEB_ARCH[target.arch] ?? target.arch;
  if (!here || here.id !== target.os.id || here.versionId !== target.os.versionId || debArch !== want) {
    const is = here ? `${here.id} ${here.versionId}${debArch ? ` ${debArch}` : ''}` : 'not Debian';
    throw BulwarkError.field(
      'withPackages',
      `Core's machine is ${is}, so its apt cannot fetch packages for ${target.os.id} ${target.os.versionId} ${want}; gather them on a ${target.os.id} ${target.os.versionId} ${want} machine (docs/bundle.md) and give the directory with --packages-from DIR`,
    );
  }
  mkdirSync(cache, { recursive: true, mode: 0o700 });
  const status = join(cache, 'empty-status');
  writeFileSync(status, '');
  const apt = async (args: string[], cwd?: string) => {
    try {
      return (await run('apt-get', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' } })).stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      throw new BulwarkError('unavailable', `apt-get ${args[0] === '-s' ? 'could not work out the packages' : 'download failed'}:\n${lastLines(`${e.stdout ?? ''}\n${e.stderr ?? ''}`, 8).join('\n')}\nRun "apt-get update" on Core's machine, or give the packages with --packages-from DIR`);
    }
  };
  // As for a system with nothing installed: every dependency, each alternative resolved as apt would.
  const sim = await apt(['-s', '-o', `Dir::State::status=${status}`, 'install', '--no-install-recommends', ...install]);
  const closure = [...sim.matchAll(/^Inst (\S+) /gm)].map((m) => m[1]!);
  const index = await candidatesOf(closure);
  const wanted = closure.filter((p) => !index.get(p)!.required || install.includes(p));
  // A package already in the cache at the index's version, with the index's SHA-256, is not fetched again.
  const fileOf = (p: string) => index.get(p)!.file;
  const cached = async (p: string) => existsSync(join(cache, fileOf(p))) && (await sha256File(join(cache, fileOf(p)))) === index.get(p)!.sha256;
  const fetch: string[] = [];
  for (const p of wanted) if (!(await cached(p))) fetch.push(p);
  if (fetch.length > 0) await apt(['download', '-q', '-o', 'APT::Sandbox::User=root', ...fetch.map((p) => `${p}=${index.get(p)!.version}`)], cache);
  for (const p of fetch) {
    if (!(await cached(p))) throw new BulwarkError('unavailable', `apt-get download left no ${fileOf(p)} with the SHA-256 of apt's index in ${cache}; run "apt-get update" on Core's machine and export again`);
  }
  return describe(cache, [...new Set(wanted.map(fileOf))].sort());
}

interface Candidate {
  version: string;
  /** The file apt-get download writes: name_version_arch.deb, the epoch's ":" as "%3a". */
  file: string;
  sha256: string;
  /** Priority: required, or Essential: every Debian has it. */
  required: boolean;
}

/** What apt would install of each package: its version, file name, SHA-256, and whether every Debian has it. */
async function candidatesOf(names: string[]): Promise<Map<string, Candidate>> {
  const index = new Map<string, Candidate>();
  if (names.length === 0) return index;
  const out = (await run('apt-cache', ['show', '--no-all-versions', ...names], { maxBuffer: 64 * 1024 * 1024 })).stdout;
  for (const block of out.split(/\n\n+/)) {
    const field = (f: string) => new RegExp(`^${f}: (.+)$`, 'm').exec(block)?.[1]?.trim();
    const [name, version, arch, sha256] = [field('Package'), field('Version'), field('Architecture'), field('SHA256')];
    if (!name || !version || !arch || !sha256 || index.has(name)) continue;
    index.set(name, { version, file: `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`, sha256, required: field('Priority') === 'required' || field('Essential') === 'yes' });
  }
  const unknown = names.filter((n) => !index.has(n));
  if (unknown.length > 0) throw new BulwarkError('unavailable', `apt-cache knows no version of ${unknown.join(', ')}; run "apt-get update" on Core's machine, or give the packages with --packages-from DIR`);
  return index;
}

