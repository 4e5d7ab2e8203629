// The host the installer runs on, read locally: what it is (hostname, OS release,
// architecture, the facts the preflight judges), what a previous bundle recorded, and the
// digest and mode of every path the change needs (as the SSH inspect reads them remotely).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { hostname, machine } from 'node:os';
import { HostManifest } from '../contract/index.js';
import { BUNDLE_HOST_NAME, BUNDLE_PINNED_KEY, HOST_DIRS, HOST_MANIFEST, isBulwarkPath, isBulwarkUnit } from '../contract/host-layout.js';
import { osRelease, type HostIdentity } from '../bundle-format/verify-bundle.js';
import { parsePinnedKey } from '../bundle-format/signature.js';
import { FACTS_SCRIPT, parseFacts, type HostFacts } from '../host-state/preflight.js';
import { pathsToInspect, type ObservedHost } from '../host-state/changes.js';
import type { DesiredHost } from '../host-state/desired.js';

function readQuietly(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function identity(): HostIdentity {
  const recorded = readQuietly(BUNDLE_HOST_NAME)?.trim() || null;
  return { recorded, hostname: hostname(), os: osRelease(readQuietly('/etc/os-release') ?? ''), arch: machine() };
}

/** The signing key a previous install pinned, or null. A damaged pin file is an error, not "none". */
export function pinnedKey(): Buffer | null {
  const text = readQuietly(BUNDLE_PINNED_KEY);
  if (text === null) return null;
  const key = parsePinnedKey(text);
  if (!key) throw new Error(`${BUNDLE_PINNED_KEY} is damaged; remove it and install with --expect-key`);
  return key;
}

/** Bulwark's record of what is installed, kept to Bulwark's own paths and units (it is not trusted). */
export function installedManifest(): HostManifest | null {
  const text = readQuietly(HOST_MANIFEST);
  if (text === null || text.trim() === '') return null;
  let m: HostManifest;
  try {
    m = HostManifest.parse(JSON.parse(text));
  } catch (err) {
    throw new Error(`${HOST_MANIFEST}, Bulwark's record of what it installed, is damaged (${(err as Error).message.split('\n')[0]}); move it away and install again`);
  }
  return { ...m, files: m.files.filter((f) => isBulwarkPath(f.path)), units: m.units.filter(isBulwarkUnit), dirs: m.dirs.filter((d) => HOST_DIRS.some((x) => x.path === d)) };
}

export function facts(): HostFacts {
  return parseFacts(execFileSync('sh', ['-c', FACTS_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }));
}

/** Mode and SHA-256 of each path that is a regular file (links and missing paths are absent). */
export function observe(desired: DesiredHost, manifest: HostManifest | null, activeUnits: Set<string>): ObservedHost {
  const files: ObservedHost['files'] = new Map();
  for (const path of pathsToInspect(desired, manifest)) {
    if (!existsSync(path)) continue;
    const st = lstatSync(path);
    if (!st.isFile()) continue;
    files.set(path, { mode: st.mode & 0o7777, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') });
  }
  return { files, manifest, activeUnits };
}
