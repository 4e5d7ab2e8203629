// The agent artifacts the build produced (dist/agents): the Node runtime, the agent bundles and
// the host-apply program, with their SHA-256 digests. Digests are cached by size and mtime, so
// the 100 MB runtime is hashed once per process, not once per plan.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../contract/index.js';
import type { Artifact } from '../host-state/desired.js';
import type { Artifacts } from './plan/desired-state.js';

export interface AgentsBuildInfo {
  version: string;
  /** uname -m of the runtime, e.g. "x86_64". */
  arch: string;
  node: string;
}

export interface LoadedArtifacts extends Artifacts {
  info: AgentsBuildInfo;
  /** The offline bundle's installer (bundle-install.mjs), which only bundles carry. */
  bundleInstall: Artifact;
}

const cache = new Map<string, { key: string; artifact: Artifact }>();

async function digest(path: string): Promise<Artifact> {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new BulwarkError('unavailable', `the agent artifact ${path} is missing; run "npm run build" again (or reinstall Bulwark)`);
  }
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(path);
  if (hit?.key === key) return hit.artifact;
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('data', (d) => hash.update(d)).on('end', resolve).on('error', reject);
  });
  const artifact = { localPath: path, sha256: hash.digest('hex'), size: st.size };
  cache.set(path, { key, artifact });
  return artifact;
}

export async function loadArtifacts(dir: string | undefined): Promise<LoadedArtifacts> {
  const infoFile = dir ? join(dir, 'build.json') : '';
  if (!dir || !existsSync(infoFile)) {
    throw new BulwarkError('unavailable', `the agent artifacts are not built${dir ? ` (no ${infoFile})` : ''}; run "npm run build", or set BULWARK_AGENTS_DIR to the built dist/agents directory`);
  }
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as AgentsBuildInfo;
  const [runtime, gateway, edge, balancer, hostApply, bundleInstall] = await Promise.all(
    ['runtime/node', 'gateway.mjs', 'edge.mjs', 'balancer.mjs', 'host-apply.mjs', 'bundle-install.mjs'].map((f) => digest(join(dir, f))),
  );
  return { info, runtime: runtime!, gateway: gateway!, edge: edge!, balancer: balancer!, hostApply: hostApply!, bundleInstall: bundleInstall! };
}
