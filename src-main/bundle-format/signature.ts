// bundle-format/: what an offline bundle is on disk and how it is checked: the signature file
// and key fingerprints (Ed25519, node:crypto), passphrase sealing of secret files, and the
// checks every install and verify runs, in order (verify-bundle.ts). Used by Core's export, the
// CLI's `bundle verify` and the installer on the host; it imports only the contract and node:.
//
// This file: Ed25519 keys from their 32-byte seed, fingerprints, and the signature file.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNATURE_HEADER = 'bulwark-bundle-signature 1';

/**
 * The private key of a 32-byte seed. (Made from bytes rather than by generateKeyPairSync:
 * see core/keys/wireguard.ts for the Node 20 deadlock that avoids.)
 */
export function privateKeyOfSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new Error('invariant failed: an Ed25519 seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of a seed. */
export function publicKeyOfSeed(seed: Buffer): Buffer {
  const spki = createPublicKey(privateKeyOfSeed(seed)).export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(-32));
}

/** "SHA256:" and the unpadded base64 of the SHA-256 of the raw public key. */
export function fingerprintOf(publicKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')}`;
}

export function signManifest(seed: Buffer, manifest: Buffer): Buffer {
  return sign(null, manifest, privateKeyOfSeed(seed));
}

export function verifyManifest(publicKey: Buffer, manifest: Buffer, signature: Buffer): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return verify(null, manifest, key, signature);
}

/** A planned key rotation: the old key's signature over the new one (rotationStatement). */
export interface KeyRotation {
  from: Buffer;
  to: Buffer;
  signature: Buffer;
}

/** What an old key signs to endorse its successor; its own prefix, so no manifest (JSON) reads as one. */
export function rotationStatement(to: Buffer): Buffer {
  return Buffer.from(`bulwark-bundle-key-rotation 1\nto ed25519 ${to.toString('base64')}\n`);
}

export function signRotation(oldSeed: Buffer, to: Buffer): Buffer {
  return sign(null, rotationStatement(to), privateKeyOfSeed(oldSeed));
}

/**
 * Whether `signer` is `pinned` or descends from it through rotations, each signed by the key
 * before it. The chain is walked from the pinned key only, so a rotation whose signature does
 * not verify, or that starts from a key the host never trusted, leads nowhere.
 */
export function rotatedTo(pinned: Buffer, signer: Buffer, rotations: KeyRotation[]): boolean {
  let current = pinned;
  for (let step = 0; step <= rotations.length; step++) {
    if (current.equals(signer)) return true;
    const next = rotations.find((r) => r.from.equals(current) && verifyManifest(r.from, rotationStatement(r.to), r.signature));
    if (!next) return false;
    current = next.to;
  }
  return false;
}

export interface SignatureFile {
  publicKey: Buffer;
  signature: Buffer;
  /** Every rotation of Core's key so far, oldest first, so a host that pinned an older key follows. */
  rotations: KeyRotation[];
}

/** The format, the key, the signature over manifest.json's exact bytes, then a line per rotation. */
export function renderSignatureFile(s: SignatureFile): string {
  const rotations = s.rotations.map((r) => `rotation ed25519 ${r.from.toString('base64')} ${r.to.toString('base64')} ${r.signature.toString('base64')}\n`).join('');
  return `${SIGNATURE_HEADER}\nkey ed25519 ${s.publicKey.toString('base64')}\nsignature ${s.signature.toString('base64')}\n${rotations}`;
}

const KEY = '([A-Za-z0-9+/]{43}=)';
const SIG = '([A-Za-z0-9+/]{86}==)';

/** The signature file, read strictly; null when it is not one (damaged or replaced). */
export function parseSignatureFile(text: string): SignatureFile | null {
  const m = new RegExp(`^bulwark-bundle-signature 1\\nkey ed25519 ${KEY}\\nsignature ${SIG}\\n((?:rotation ed25519 [A-Za-z0-9+/=]+ [A-Za-z0-9+/=]+ [A-Za-z0-9+/=]+\\n){0,64})$`).exec(text);
  if (!m) return null;
  const rotations: KeyRotation[] = [];
  for (const line of m[3]!.split('\n').filter(Boolean)) {
    const r = new RegExp(`^rotation ed25519 ${KEY} ${KEY} ${SIG}$`).exec(line);
    if (!r) return null;
    rotations.push({ from: Buffer.from(r[1]!, 'base64'), to: Buffer.from(r[2]!, 'base64'), signature: Buffer.from(r[3]!, 'base64') });
  }
  return { publicKey: Buffer.from(m[1]!, 'base64'), signature: Buffer.from(m[2]!, 'base64'), rotations };
}

/** The key a host pins: one line, "ed25519 <base64>", which the installer writes after its first install. */
export function renderPinnedKey(publicKey: Buffer): string {
  return `ed25519 ${publicKey.toString('base64')}\n`;
}

export function parsePinnedKey(text: string): Buffer | null {
  const m = /^ed25519 ([A-Za-z0-9+/]{43}=)\n?$/.exec(text);
  return m ? Buffer.from(m[1]!, 'base64') : null;
}
