// WireGuard (Curve25519) key pairs, made with node:crypto; keys are standard base64.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

export interface WireGuardKeyPair {
  privateKey: string;
  publicKey: string;
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const b64 = (b64url: string) => Buffer.from(b64url, 'base64url').toString('base64');

export function generateWireGuardKeyPair(): WireGuardKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'jwk' });
  const pub = publicKey.export({ format: 'jwk' });
  if (!priv.d || !pub.x) throw new Error('invariant failed: x25519 JWK export lacks d or x');
  return { privateKey: b64(priv.d), publicKey: b64(pub.x) };
}

/** The public key of a base64 private key, as `wg pubkey` computes it. */
export function wireGuardPublicKey(privateKey: string): string {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410): fixed prefix + 32 key bytes.
  const der = Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(privateKey, 'base64')]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (!x) throw new Error('invariant failed: x25519 JWK export lacks x');
  return b64(x);
}
