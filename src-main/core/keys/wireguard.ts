// WireGuard (Curve25519) key pairs, made with node:crypto; keys are standard base64.
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';

export interface WireGuardKeyPair {
  privateKey: string;
  publicKey: string;
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * A new key pair, as `wg genkey | wg pubkey` makes it: 32 random bytes clamped for X25519
 * (RFC 7748), and the public key derived from them.
 *
 * Not generateKeyPairSync('x25519'): exporting a key it just made can deadlock Node 20.20 for
 * good (seen while adding 10,000 devices, and in a plain loop of 10,000 pairs; gdb shows the
 * main thread in ExportJWK → a garbage collection → ~KeyGenJob → a mutex wait): the export holds
 * the key's mutex while it allocates, the collection finalises the job that made the key, and
 * the job's destructor waits for the same mutex. A key imported from bytes has no such job.
 */
export function generateWireGuardKeyPair(): WireGuardKeyPair {
  const key = randomBytes(32);
  key[0] = key[0]! & 248;
  key[31] = (key[31]! & 127) | 64;
  const privateKey = key.toString('base64');
  return { privateKey, publicKey: wireGuardPublicKey(privateKey) };
}

/** The public key of a base64 private key, as `wg pubkey` computes it. */
export function wireGuardPublicKey(privateKey: string): string {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410): fixed prefix + 32 key bytes; the
  // SubjectPublicKeyInfo ends with the 32 bytes of the public key.
  const der = Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(privateKey, 'base64')]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  if (spki.length !== 44) throw new Error('invariant failed: an X25519 public key is 44 bytes of DER');
  return spki.subarray(-32).toString('base64');
}
