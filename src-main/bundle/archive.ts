// The bundle's archive: a gzip'd tar with one top directory, which GNU tar on the host
// extracts (node-tar writes it here, and reads it for `bundle verify`). Written through a file
// created 0600 from the start, since it holds the host's secrets.
import { chmodSync, createWriteStream, linkSync, lstatSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { BUNDLE_MANIFEST_FILE, BUNDLE_SIGNATURE_FILE } from '../contract/index.js';
import { BundleRefused } from '../bundle-format/verify-bundle.js';
import type { TreeEntry } from './bundle-tree.js';

/** Lays the bundle out under `root/directory`. A build artifact is hard-linked when it can be, and copied otherwise. */
function layOut(root: string, directory: string, entries: TreeEntry[], manifest: Buffer, signature: string): void {
  const top = join(root, directory);
  mkdirSync(top, { recursive: true, mode: 0o755 });
  for (const e of entries) {
    const path = join(top, e.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (e.source.kind === 'bytes') writeFileSync(path, e.source.bytes, { mode: e.mode });
    else {
      let linked = false;
      try {
        // A link shares the artifact's mode, so link only where that mode is the entry's.
        if ((lstatSync(e.source.localPath).mode & 0o7777) === e.mode) {
          linkSync(e.source.localPath, path);
          linked = true;
        }
      } catch {
        // another file system: copy
      }
      if (!linked) copyFileSync(e.source.localPath, path);
    }
    // A umask may have taken bits away from what writeFileSync asked for.
    if ((lstatSync(path).mode & 0o7777) !== e.mode) chmodSync(path, e.mode);
  }
  writeFileSync(join(top, BUNDLE_MANIFEST_FILE), manifest, { mode: 0o644 });
  writeFileSync(join(top, BUNDLE_SIGNATURE_FILE), signature, { mode: 0o644 });
  // As a umask left them or not: the manifest, its signature and every directory readable, as tar will keep them.
  chmodSync(join(top, BUNDLE_MANIFEST_FILE), 0o644);
  chmodSync(join(top, BUNDLE_SIGNATURE_FILE), 0o644);
  for (const d of new Set(['', ...entries.map((e) => dirname(e.path)).filter((d) => d !== '.')])) chmodSync(join(top, d), 0o755);
}

/** Writes the archive to `out` (created 0600, never over an existing file) through a scratch directory. */
export async function writeArchive(out: string, scratch: string, directory: string, entries: TreeEntry[], manifest: Buffer, signature: string): Promise<void> {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    layOut(scratch, directory, entries, manifest, signature);
    await pipeline(tar.c({ gzip: { level: 6 }, cwd: scratch, portable: true }, [directory]), createWriteStream(out, { mode: 0o600, flags: 'wx' }));
  } catch (err) {
    rmSync(out, { force: true });
    throw err;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Extracts an archive for checking, after listing it: every member must be a file or a
 * directory below one top directory, with no absolute path and no "..". Returns that top
 * directory's path inside `into`.
 */
export async function extractForCheck(file: string, into: string): Promise<string> {
  const tops = new Set<string>();
  const bad: string[] = [];
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (e) => {
        const p = e.path;
        if (p.startsWith('/')) bad.push(`${p} is an absolute path`);
        else if (p.split('/').includes('..')) bad.push(`${p} climbs out with ".."`);
        else if (e.type !== 'File' && e.type !== 'Directory') bad.push(`${p} is a ${e.type === 'SymbolicLink' ? 'symbolic link' : e.type === 'Link' ? 'hard link' : e.type}`);
        tops.add(p.split('/')[0]!);
      },
    });
  } catch (err) {
    throw new BundleRefused('files', `the archive is truncated or damaged (${(err as Error).message}); copy it again`);
  }
  if (bad.length > 0) throw new BundleRefused('files', `the archive holds what no bundle does: ${bad.slice(0, 3).join('; ')}`);
  if (tops.size !== 1) throw new BundleRefused('files', `the archive has ${tops.size} top-level entries (${[...tops].slice(0, 3).join(', ')}); a bundle has one directory`);
  mkdirSync(into, { recursive: true, mode: 0o700 });
  await tar.x({ file, cwd: into, strict: true, preserveOwner: false, chmod: true, processUmask: 0 });
  return join(into, [...tops][0]!);
}
