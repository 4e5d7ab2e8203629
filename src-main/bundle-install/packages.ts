// The bundle's Debian packages, installed with apt from the bundle alone: the installer writes
// the repository's index (Packages) from the .deb files themselves with dpkg-deb, which every
// Debian has, and points apt at it with a sources list and package lists of its own, so the
// host's apt configuration is neither used nor changed. The .deb files were checked against
// the signed manifest, hence [trusted=yes].
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastLines } from '../text/last-lines.js';

export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string[],
  ) {
    super(message);
  }
}

function run(cmd: string, args: string[], timeout = 600_000): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string };
    throw new CommandFailed(`${cmd} failed`, [cmd, ...args].join(' '), e.status ?? null, lastLines(`${e.stdout ?? ''}\n${e.stderr ?? ''}`));
  }
}

/** The index of a flat repository: each package's control fields, its file name, size and SHA-256. */
export function packagesIndex(dir: string, files: string[]): string {
  return files
    .map((f) => {
      const path = join(dir, f);
      const control = run('dpkg-deb', ['-f', path]).trimEnd();
      const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
      return `${control}\nFilename: ./${f}\nSize: ${statSync(path).size}\nSHA256: ${sha}\n`;
    })
    .join('\n');
}

/** Installs `packages` from the bundle's repository; returns apt's last lines. */
export function installFromBundle(dir: string, files: string[], packages: string[]): string[] {
  const work = mkdtempSync('/tmp/bulwark-apt-');
  try {
    mkdirSync(join(work, 'lists', 'partial'), { recursive: true });
    // The repository is a copy, so the bundle's directory stays as it was signed.
    const repo = join(work, 'repo');
    mkdirSync(repo);
    for (const f of files) copyFileSync(join(dir, f), join(repo, f));
    writeFileSync(join(repo, 'Packages'), packagesIndex(repo, files));
    writeFileSync(join(work, 'sources.list'), `deb [trusted=yes] file:${repo} ./\n`);
    const opts = [
      '-o', `Dir::Etc::SourceList=${join(work, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/nonexistent',
      '-o', `Dir::State::Lists=${join(work, 'lists')}`,
      '-o', `Dir::Cache::pkgcache=${join(work, 'pkgcache.bin')}`,
      '-o', `Dir::Cache::srcpkgcache=${join(work, 'srcpkgcache.bin')}`,
      '-o', 'APT::Sandbox::User=root',
      '-o', 'Acquire::Languages=none',
    ];
    run('apt-get', ['update', '-q', ...opts]);
    const out = run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...opts, '-o', 'Dpkg::Options::=--force-confold', ...packages]);
    return lastLines(out, 5);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
