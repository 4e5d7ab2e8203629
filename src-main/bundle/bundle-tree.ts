// What one host's bundle holds: its entries (the launcher, README, runtime, installer,
// host-apply, every file an apply would write, the packages) and the manifest that lists them.
// From a resolved desired state; secret files are sealed when there is a passphrase; an
// upgrade bundle leaves out what its baseline installed unchanged. Reads no files itself: an
// artifact's or package's digest comes with it.
import { createHash } from 'node:crypto';
import { BUNDLE_FORMAT, type BundleEntry, type BundleHostFile, type BundleManifest, type HostNeeds, type OsRelease } from '../contract/index.js';
import { HOST_RUNTIME } from '../contract/host-layout.js';
import { renderLauncher, renderReadme } from '../config-gen/bundle/launcher.js';
import { seal } from '../bundle-format/sealing.js';
import type { Artifact, DesiredHost } from '../host-state/desired.js';

/** Where an entry's bytes come from when the archive is written. */
export type EntrySource = { kind: 'bytes'; bytes: Buffer } | { kind: 'file'; localPath: string };

export interface TreeEntry extends BundleEntry {
  source: EntrySource;
}

export interface PackageFile {
  name: string;
  localPath: string;
  sha256: string;
  size: number;
}

export interface TreeInput {
  id: string;
  createdAt: string;
  notAfter: string;
  version: string;
  fingerprint: string;
  target: { host: string; os: OsRelease; arch: string };
  /** Every file resolved (no certificate or key left to make at apply). */
  desired: DesiredHost;
  needs: HostNeeds;
  artifacts: { runtime: Artifact; hostApply: Artifact; installer: Artifact };
  packages: { files: PackageFile[]; install: string[] } | null;
  sealing: { key: Buffer; encryption: NonNullable<BundleManifest['encryption']> } | null;
  /** An upgrade bundle: the bundle it is made against and what that installed. */
  baseline: { id: string; createdAt: string; files: Map<string, { sha256: string; mode: number }> } | null;
}

export interface BundleTree {
  /** The top directory inside the archive. */
  directory: string;
  entries: TreeEntry[];
  manifest: BundleManifest;
  installerSha256: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function bytesEntry(path: string, mode: BundleEntry['mode'], bytes: Buffer): TreeEntry {
  return { path, mode, sha256: sha256(bytes), size: bytes.length, source: { kind: 'bytes', bytes } };
}

function fileEntry(path: string, mode: BundleEntry['mode'], a: Artifact): TreeEntry {
  return { path, mode, sha256: a.sha256, size: a.size, source: { kind: 'file', localPath: a.localPath } };
}

/** A file name for the bundle from a host path: its base name, with a number that keeps it unique. */
function entryName(index: number, hostPath: string): string {
  const base = hostPath.slice(hostPath.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_') || 'file';
  return `files/${String(index).padStart(2, '0')}-${base}`;
}

export function bundleTree(i: TreeInput): BundleTree {
  const directory = `bulwark-${i.target.host}-${i.id.slice(0, 8)}`;
  const entries: TreeEntry[] = [];
  const hostFiles: BundleHostFile[] = [];
  const unchanged = (path: string, sha: string, mode: number) => {
    const b = i.baseline?.files.get(path);
    return b !== undefined && b.sha256 === sha && b.mode === mode;
  };

  // An upgrade bundle whose runtime did not change runs on the host's own, which its baseline installed.
  const runtimeKept = i.baseline !== null && unchanged(HOST_RUNTIME, i.artifacts.runtime.sha256, 0o755);
  const runtimePath = runtimeKept ? HOST_RUNTIME : 'bin/node';
  if (!runtimeKept) entries.push(fileEntry('bin/node', 0o755, i.artifacts.runtime));
  entries.push(fileEntry('bin/bundle-install.mjs', 0o644, i.artifacts.installer), fileEntry('bin/host-apply.mjs', 0o644, i.artifacts.hostApply));

  i.desired.files.forEach((f, n) => {
    if (f.source.kind === 'pending') throw new Error(`invariant failed: ${f.path} (${f.source.what}) is made before a bundle is`);
    const base = { path: f.path, kind: f.kind, mode: f.mode, sha256: f.sha256, size: f.size, secret: f.secret };
    if (unchanged(f.path, f.sha256, f.mode)) {
      hostFiles.push({ ...base, entry: null, encrypted: false });
      return;
    }
    if (f.path === HOST_RUNTIME && f.source.kind === 'artifact' && f.sha256 === i.artifacts.runtime.sha256) {
      hostFiles.push({ ...base, entry: 'bin/node', encrypted: false });
      return;
    }
    const name = entryName(n, f.path);
    const mode = f.secret ? 0o600 : 0o644;
    if (f.secret && i.sealing) {
      if (f.source.kind !== 'text') throw new Error(`invariant failed: secret ${f.path} is text`);
      entries.push(bytesEntry(name, 0o600, seal(i.sealing.key, Buffer.from(f.source.text), f.path)));
      hostFiles.push({ ...base, entry: name, encrypted: true });
      return;
    }
    entries.push(f.source.kind === 'text' ? bytesEntry(name, mode, Buffer.from(f.source.text)) : fileEntry(name, mode, f.source.artifact));
    hostFiles.push({ ...base, entry: name, encrypted: false });
  });

  for (const p of i.packages?.files ?? []) entries.push({ path: `packages/${p.name}`, mode: 0o644, sha256: p.sha256, size: p.size, source: { kind: 'file', localPath: p.localPath } });

  const launcher = renderLauncher({
    runtime: { path: runtimePath, sha256: i.artifacts.runtime.sha256 },
    installer: { path: 'bin/bundle-install.mjs', sha256: i.artifacts.installer.sha256 },
  });
  const launcherEntry = bytesEntry('install', 0o755, Buffer.from(launcher));
  const readme = renderReadme({ host: i.target.host, directory, createdAt: i.createdAt, notAfter: i.notAfter, encrypted: i.sealing !== null });
  entries.unshift(launcherEntry, bytesEntry('README.txt', 0o644, Buffer.from(readme)));

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    id: i.id,
    createdAt: i.createdAt,
    notAfter: i.notAfter,
    bulwarkVersion: i.version,
    signingKey: i.fingerprint,
    target: i.target,
    entries: entries.map(({ path, sha256, size, mode }) => ({ path, sha256, size, mode })),
    programs: { runtime: runtimePath, hostApply: 'bin/host-apply.mjs' },
    host: { roles: i.desired.roles, files: hostFiles, units: i.desired.units, needs: i.needs },
    packages: i.packages ? { dir: 'packages', install: i.packages.install, files: i.packages.files.map((p) => p.name) } : null,
    encryption: i.sealing?.encryption ?? null,
    baseline: i.baseline ? { id: i.baseline.id, createdAt: i.baseline.createdAt } : null,
  };
  return { directory, entries, manifest, installerSha256: launcherEntry.sha256 };
}
