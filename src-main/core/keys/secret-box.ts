// Secrets at rest: AES-256-GCM under a 32-byte master key that lives outside the database
// (the data dir's secret.key, mode 0600). A copy of bulwark.db alone reveals no private key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('invariant failed: the master key is 32 bytes');
  }

  /** `purpose` is bound as associated data, so a ciphertext cannot be moved to another use. */
  seal(plaintext: string, purpose: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, purpose: string): string {
    if (sealed[0] !== VERSION) throw new Error(`unknown secret format ${sealed[0]}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(1, 13));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8');
  }
}
