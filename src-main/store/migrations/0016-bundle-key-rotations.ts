// Migration 16: rotations of Core's bundle signing key. Each row is the old key's signature over
// the new one; every bundle carries them all, so a host that pinned an older key follows.
import type { Migration } from './migration.js';

export const m0016BundleKeyRotations: Migration = {
  version: 16,
  name: 'bundle key rotations',
  sql: `
CREATE TABLE bundle_key_rotations (
  id INTEGER PRIMARY KEY,
  -- Raw 32-byte Ed25519 public keys, base64, and the old key's signature (rotationStatement).
  from_key TEXT NOT NULL,
  to_key TEXT NOT NULL UNIQUE,
  signature TEXT NOT NULL,
  rotated_at TEXT NOT NULL
) STRICT;
`,
};
