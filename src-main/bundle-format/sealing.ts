// Secret files sealed with a passphrase, so a bundle can travel on a USB stick: scrypt derives
// a key (a salt per bundle), each file is AES-256-GCM with its host path as associated data (a
// sealed file cannot be moved to another path), and a known word sealed the same way tells a
// wrong passphrase before anything is decrypted.
import { createCipheriv, createDecipheriv, randomBytes, scrypt, scryptSync } from 'node:crypto';
import type { BundleManifest } from '../contract/index.js';

type Encryption = NonNullable<BundleManifest['encryption']>;

/** 2^15: about 0.1 s and 32 MiB per derivation on a server core. */
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;
const MAGIC = Buffer.from('BWS1');
const CHECK_WORD = 'bulwark';
const CHECK_AAD = 'bulwark-bundle-passphrase-check';

export function deriveKey(passphrase: string, e: Pick<Encryption, 'salt' | 'N' | 'r' | 'p'>): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(e.salt, 'base64'), 32, { N: e.N, r: e.r, p: e.p, maxmem: 128 * e.N * e.r * 2 });
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([MAGIC, iv, c.getAuthTag(), body]);
}

/** The plaintext, or null when the key or the associated data is wrong or the bytes were changed. */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer | null {
  if (sealed.length < 32 || !sealed.subarray(0, 4).equals(MAGIC)) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(4, 16));
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(sealed.subarray(16, 32));
    return Buffer.concat([d.update(sealed.subarray(32)), d.final()]);
  } catch {
    return null;
  }
}

/** A new bundle's encryption record and its key. */
export function newEncryption(passphrase: string): { encryption: Encryption; key: Buffer } {
  const salt = randomBytes(16).toString('base64');
  const key = deriveKey(passphrase, { salt, ...SCRYPT });
  return { key, encryption: { kdf: 'scrypt', salt, ...SCRYPT, check: seal(key, Buffer.from(CHECK_WORD), CHECK_AAD).toString('base64') } };
}

/** newEncryption off the event loop (scrypt in libuv's thread pool): for Core, which keeps serving meanwhile. */
export async function newEncryptionAsync(passphrase: string): Promise<{ encryption: Encryption; key: Buffer }> {
  const salt = randomBytes(16).toString('base64');
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), Buffer.from(salt, 'base64'), 32, { ...SCRYPT, maxmem: 128 * SCRYPT.N * SCRYPT.r * 2 }, (err, k) => (err ? reject(err) : resolve(k))),
  );
  return { key, encryption: { kdf: 'scrypt', salt, ...SCRYPT, check: seal(key, Buffer.from(CHECK_WORD), CHECK_AAD).toString('base64') } };
}

/** The key, or null when the passphrase is wrong. */
export function unlock(passphrase: string, e: Encryption): Buffer | null {
  if (e.N > 1 << 20 || e.r > 32 || e.p > 16) return null; // not ours: refuse a derivation that would take minutes
  const key = deriveKey(passphrase, e);
  return open(key, Buffer.from(e.check, 'base64'), CHECK_AAD)?.toString() === CHECK_WORD ? key : null;
}
