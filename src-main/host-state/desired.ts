// host-state/: what a host should have, what it has, and what must change between the two; the
// work order host-apply carries out; what a host is (its preflight facts). Pure. Imported by
// Core's provisioning (over SSH) and by the programs that run on a host (host-apply, the
// offline bundle's installer); it imports only the contract and text.
//
// This file: the shapes of the desired state.
import type { DesiredUnit, FileKind } from '../contract/index.js';

export type { DesiredUnit };

/** A file the build produced (the Node runtime, an agent bundle), by its local path and digest. */
export interface Artifact {
  localPath: string;
  sha256: string;
  size: number;
}

/** Where a desired file's bytes come from: text Core rendered, a build artifact, or made at apply. */
export type FileSource = { kind: 'text'; text: string } | { kind: 'artifact'; artifact: Artifact } | { kind: 'pending'; what: string };

export interface DesiredFile {
  path: string;
  kind: FileKind;
  mode: number;
  sha256: string;
  size: number;
  secret: boolean;
  source: FileSource;
}

export interface DesiredHost {
  host: string;
  roles: string[];
  files: DesiredFile[];
  units: DesiredUnit[];
}
