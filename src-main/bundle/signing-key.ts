// bundle/: offline bundles on Core's side: the signing key (this file), what a bundle holds
// (bundle-tree.ts), the archive (archive.ts), the Debian packages it carries (packages.ts) and
// the export (bundle-service.ts). Above provision/ (it reuses a host's desired state) and
// bundle-format/ (the format and its checks, shared with the installer on the host). Only
// system/ and the transports import it.
//
// This file: Core's Ed25519 signing key, made at first start, its seed sealed like Core's other
// secrets (core_secrets, AES-256-GCM under the data dir's secret.key).
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../core/keys/secret-box.js';
import type { Store } from '../store/db.js';
import { fingerprintOf, publicKeyOfSeed, signManifest } from '../bundle-format/signature.js';

const NAME = 'bundle-signing-key';

export interface SigningKey {
  publicKey: Buffer;
  fingerprint: string;
  createdAt: string;
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

  sign(manifest: Buffer): Buffer {
    return signManifest(this.load().seed, manifest);
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
