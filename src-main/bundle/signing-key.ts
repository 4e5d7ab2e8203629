// bundle/: offline bundles on Core's side: the signing key (this file), what a bundle holds
// (bundle-tree.ts), the archive (archive.ts), the Debian packages it carries (packages.ts) and
// the export (bundle-service.ts). Above provision/ (it reuses a host's desired state) and
// bundle-format/ (the format and its checks, shared with the installer on the host). Only
// system/ and the transports import it.
//
// This file: Core's Ed25519 signing key, made at first start, its seed sealed like Core's other
// secrets (core_secrets, AES-256-GCM under the data dir's secret.key), and its rotations: a
// new key, endorsed by the old one's signature, which every later bundle carries.
import { randomBytes } from 'node:crypto';
import { BulwarkError } from '../contract/index.js';
import type { SecretBox } from '../core/keys/secret-box.js';
import type { Store, Tx } from '../store/db.js';
import { fingerprintOf, publicKeyOfSeed, signManifest, signRotation, type KeyRotation } from '../bundle-format/signature.js';

const NAME = 'bundle-signing-key';
/** What a signature file may carry (signature.ts parses at most this many rotation lines). */
const MAX_ROTATIONS = 64;

export interface SigningKey {
  publicKey: Buffer;
  fingerprint: string;
  createdAt: string;
}

interface RotationRow {
  from_key: string;
  to_key: string;
  signature: string;
  rotated_at: string;
}

export class BundleSigner {
  private cached: { seed: Buffer; key: SigningKey } | null = null;

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly now: () => Date,
  ) {}

  /** Makes the key if this Core has none yet (at start, as the CA is made). */
  ensure(): SigningKey {
    return this.load().key;
  }

  /** Signs with the key `fingerprint` names, which the manifest names too; refused if the key was rotated since. */
  sign(manifest: Buffer, fingerprint: string): Buffer {
    const { seed, key } = this.load();
    if (key.fingerprint !== fingerprint) throw new BulwarkError('unavailable', `Core's bundle signing key was rotated during this export (now ${key.fingerprint}); export again`);
    return signManifest(seed, manifest);
  }

  /** Every rotation so far, oldest first. */
  rotations(): (KeyRotation & { rotatedAt: string })[] {
    return this.store
      .read((tx) => tx.all<RotationRow>('SELECT from_key, to_key, signature, rotated_at FROM bundle_key_rotations ORDER BY id'))
      .map((r) => ({ from: Buffer.from(r.from_key, 'base64'), to: Buffer.from(r.to_key, 'base64'), signature: Buffer.from(r.signature, 'base64'), rotatedAt: r.rotated_at }));
  }

  /** A new key, endorsed by the current one; `record` adds its event in the same transaction. */
  rotate(record: (tx: Tx, from: SigningKey, to: SigningKey) => void): SigningKey {
    const done = this.store.read((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM bundle_key_rotations')!.n);
    if (done >= MAX_ROTATIONS) {
      throw new BulwarkError('in_use', `Core's bundle signing key was rotated ${done} times, as many as a bundle can carry; a new key now must be pinned on each host by hand (--expect-key NEW --replace-pinned-key)`);
    }
    const old = this.load();
    const seed = randomBytes(32);
    const at = this.now().toISOString();
    const publicKey = publicKeyOfSeed(seed);
    const next: SigningKey = { publicKey, fingerprint: fingerprintOf(publicKey), createdAt: at };
    this.store.write((tx) => {
      const changed = tx.run('UPDATE core_secrets SET value_enc = ?, created_at = ? WHERE name = ? AND created_at = ?', this.secrets.seal(seed.toString('base64'), NAME), at, NAME, old.key.createdAt);
      if (changed.changes !== 1) throw new BulwarkError('unavailable', "Core's bundle signing key changed meanwhile; look at it again (bulwark bundle key) before rotating it");
      tx.run('INSERT INTO bundle_key_rotations (from_key, to_key, signature, rotated_at) VALUES (?, ?, ?, ?)', old.key.publicKey.toString('base64'), publicKey.toString('base64'), signRotation(old.seed, publicKey).toString('base64'), at);
      record(tx, old.key, next);
    });
    this.cached = { seed, key: next };
    return next;
  }

  private load(): { seed: Buffer; key: SigningKey } {
    if (this.cached) return this.cached;
    const loaded = this.store.write((tx) => {
      const row = tx.get<{ value_enc: Buffer; created_at: string }>('SELECT value_enc, created_at FROM core_secrets WHERE name = ?', NAME);
      if (row) return { seed: Buffer.from(this.secrets.open(row.value_enc, NAME), 'base64'), createdAt: row.created_at };
      const seed = randomBytes(32);
      const createdAt = this.now().toISOString();
      tx.run('INSERT INTO core_secrets (name, value_enc, created_at) VALUES (?, ?, ?)', NAME, this.secrets.seal(seed.toString('base64'), NAME), createdAt);
      return { seed, createdAt };
    });
    const publicKey = publicKeyOfSeed(loaded.seed);
    this.cached = { seed: loaded.seed, key: { publicKey, fingerprint: fingerprintOf(publicKey), createdAt: loaded.createdAt } };
    return this.cached;
  }
}
