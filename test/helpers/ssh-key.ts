// SSH private keys for tests, made by ssh-keygen as an admin's are. (ssh2's own
// utils.generateKeyPairSync writes a malformed OpenSSH key about 3 times in 1,000, which
// ssh-keygen refuses as well: a test using it failed now and then.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new key pair's files as text: `private` in OpenSSH form (encrypted with `passphrase` when given), `public` one line. */
export function sshKeyPair(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519', passphrase = ''): { private: string; public: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-key-'));
  try {
    const file = join(dir, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'ecdsa' ? ['-b', '256'] : []), '-N', passphrase, '-C', 'bulwark-test', '-f', file]);
    return { private: readFileSync(file, 'utf8'), public: readFileSync(`${file}.pub`, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
