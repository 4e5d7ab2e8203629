// What a host has now: Bulwark's manifest (not trusted: only Bulwark's own paths and units
// count), the digest and mode of every path the plan needs, and the text of changed configs.
import { HostManifest } from '../../contract/index.js';
import type { DesiredHost } from '../../host-state/desired.js';
import { HOST_DIRS, HOST_MANIFEST, isBulwarkPath, isBulwarkUnit } from '../../contract/host-layout.js';
import { pathsToInspect, type ObservedHost } from '../../host-state/changes.js';
import { lastLines } from '../../text/last-lines.js';
import { StepFailed, type RemoteHost } from './remote-host.js';

/** Mode and SHA-256 of each path given that is a regular file (links and missing paths print nothing). */
const DIGEST_SCRIPT = 'for p do if [ -f "$p" ] && [ ! -L "$p" ]; then printf "%s " "$(stat -c %a -- "$p")"; sha256sum -- "$p"; fi; done';

/** Reads Bulwark's manifest and the digest and mode of every path the plan needs. */
export async function inspect(remote: RemoteHost, desired: DesiredHost, activeUnits: Set<string>): Promise<ObservedHost> {
  const readManifest = async (): Promise<HostManifest | null> => {
    const r = await remote.run('inspect', 'reading the manifest', ['sh', '-c', `cat ${HOST_MANIFEST} 2>/dev/null || true`]);
    if (r.stdout.trim() === '') return null;
    try {
      return HostManifest.parse(JSON.parse(r.stdout));
    } catch (err) {
      // Without it Bulwark cannot tell which old files and units to remove: say so, do not guess.
      throw new StepFailed({
        step: 'inspect',
        message: `${HOST_MANIFEST}, Bulwark's record of what it installed, is damaged (${(err as Error).message.split('\n')[0]}); move it away and apply again (files are then compared by digest, but files of roles removed since are no longer known), or run "bulwark host uninstall" and apply again`,
        command: `cat ${HOST_MANIFEST}`,
        exitCode: 0,
        output: lastLines(r.stdout, 5),
      });
    }
  };
  const manifest = sanitizeManifest(await readManifest());
  const paths = pathsToInspect(desired, manifest);
  const r = await remote.run('inspect', 'reading file digests', ['sh', '-c', DIGEST_SCRIPT, 'sh', ...paths]);
  const files = new Map<string, { sha256: string; mode: number }>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-7]+) ([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (m) files.set(m[3]!, { mode: parseInt(m[1]!, 8), sha256: m[2]! });
  }
  return { files, manifest, activeUnits };
}

/**
 * The manifest comes from the host, so it is not trusted: only Bulwark's own paths and units
 * may be removed or stopped because a manifest lists them.
 */
export function sanitizeManifest(m: HostManifest | null): HostManifest | null {
  if (m === null) return null;
  return { ...m, files: m.files.filter((f) => isBulwarkPath(f.path)), units: m.units.filter(isBulwarkUnit), dirs: m.dirs.filter((d) => HOST_DIRS.some((x) => x.path === d)) };
}

/** Current text of changed configs, for the plan's diff. */
export async function readTexts(remote: RemoteHost, paths: string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  if (paths.length === 0) return texts;
  const r = await remote.run('inspect', 'reading current configs', ['sh', '-c', 'for p do printf "@@file %s\\n" "$p"; base64 -w0 -- "$p"; echo; done', 'sh', ...paths]);
  const lines = r.stdout.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('@@file ')) texts.set(line.slice(7), Buffer.from(lines[i + 1] ?? '', 'base64').toString('utf8'));
  }
  return texts;
}
