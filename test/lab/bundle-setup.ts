// What the offline-bundle lab tests do as an admin would: export a host's bundle with the CLI,
// carry it into the host's file system (no network), extract it with tar and run its installer.
import { mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, type InProcessServer } from '../helpers/server.js';
import type { Lab } from './scenario.js';

export interface Exported {
  file: string;
  fingerprint: string;
  directory: string;
  stdout: string;
}

/** `bulwark bundle export --host H …` into a new file in `dir` (the test's, which it removes); the archive must be 0600. */
export async function exportBundle(srv: InProcessServer, dir: string, host: string, extra: string[] = []): Promise<Exported> {
  const file = join(mkdtempSync(join(dir, 'export-')), `${host}.tar.gz`);
  const r = await runCli(['--data-dir', srv.dataDir, 'bundle', 'export', '--host', host, '-o', file, ...extra]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const fingerprint = /--expect-key (SHA256:\S+)/.exec(r.stdout)?.[1];
  const directory = /\.\/(bulwark-[^/]+)\/install/.exec(r.stdout)?.[1];
  expect(fingerprint && directory, r.stdout).toBeTruthy();
  return { file, fingerprint: fingerprint!, directory: directory!, stdout: r.stdout };
}

/**
 * Carries the archive into the host as /root/<name>.tar.gz and extracts it into /root/<name>/;
 * returns the path of its installer there. tar's own complaint (a truncated archive) is kept.
 */
export function carry(lab: Lab, host: string, b: { file: string; directory: string }, name: string): { install: string; tar: string } {
  lab.putFile(host, b.file, `/root/${name}.tar.gz`);
  const r = lab.exec(host, ['sh', '-c', 'rm -rf "/root/$1" && mkdir "/root/$1" && cd "/root/$1" && tar xzf "/root/$1.tar.gz"', 'sh', name]);
  return { install: `/root/${name}/${b.directory}/install`, tar: r.stderr };
}

/** Runs the installer on the host as root, with these arguments. */
export function install(lab: Lab, host: string, installer: string, args: string[] = []): { code: number; out: string } {
  const r = lab.exec(host, [installer, ...args], 300_000);
  return { code: r.code, out: `${r.stdout}${r.stderr}` };
}
