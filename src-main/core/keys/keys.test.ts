import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { SecretBox } from './secret-box.js';
import { generateWireGuardKeyPair, wireGuardPublicKey } from './wireguard.js';
import { WireGuardKey } from '../../contract/index.js';
import { hasCommand } from '../../../test/helpers/tools.js';

describe('WireGuard keys', () => {
  test('a generated pair is two distinct valid keys, and the public key derives from the private key', () => {
    const a = generateWireGuardKeyPair();
    const b = generateWireGuardKeyPair();
    expect(WireGuardKey.safeParse(a.publicKey).success).toBe(true);
    expect(WireGuardKey.safeParse(a.privateKey).success).toBe(true);
    expect(a.privateKey).not.toBe(b.privateKey);
    expect(wireGuardPublicKey(a.privateKey)).toBe(a.publicKey);
  });

  test('a private key is clamped for X25519, as `wg genkey` makes it', () => {
    for (let i = 0; i < 200; i++) {
      const k = Buffer.from(generateWireGuardKeyPair().privateKey, 'base64');
      expect(k).toHaveLength(32);
      expect([k[0]! & 7, k[31]! & 128, k[31]! & 64]).toEqual([0, 0, 64]);
    }
  });

  // The real tool is the reference: CI installs wireguard-tools, so this runs there.
  test.skipIf(!hasCommand('wg') && process.env.CI !== 'true')('matches `wg pubkey` from wireguard-tools', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateWireGuardKeyPair();
      const fromWg = execFileSync('wg', ['pubkey'], { input: `${pair.privateKey}\n` }).toString().trim();
      expect(fromWg).toBe(pair.publicKey);
    }
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  test('round-trips, and the ciphertext does not contain the secret', () => {
    const sealed = box.seal('top secret key', 'p');
    expect(sealed.includes(Buffer.from('top secret key'))).toBe(false);
    expect(box.open(sealed, 'p')).toBe('top secret key');
  });

  test('refuses another purpose, another key and a flipped bit', () => {
    const sealed = box.seal('x', 'location-key');
    expect(() => box.open(sealed, 'other')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'location-key')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => box.open(tampered, 'location-key')).toThrow();
  });
});
