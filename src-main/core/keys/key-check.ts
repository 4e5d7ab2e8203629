// That the master key is this database's own, checked before Core uses either. A key from a
// regenerated Kubernetes Secret, or a secret.key from another backup, would otherwise show
// only later, as an AES-GCM failure when the first private key is opened. The check is a
// value sealed under the key in core_secrets; a database from before the check is tried
// against the secrets it already holds, and then gets one.
import { BulwarkError } from '../../contract/index.js';
import type { Store } from '../../store/db.js';
import type { SecretBox } from './secret-box.js';

const CHECK = 'master-key-check';
const PLAINTEXT = 'bulwark master key';

/** A value sealed earlier under this database's key, with its purpose, if it holds any. */
const EARLIER_SEALS = [
  "SELECT 'ca-private-key' AS purpose, key_enc AS sealed FROM ca WHERE id = 1",
  "SELECT 'location-wireguard-private-key' AS purpose, wg_private_key_enc AS sealed FROM locations ORDER BY id LIMIT 1",
  'SELECT name AS purpose, value_enc AS sealed FROM core_secrets ORDER BY name LIMIT 1',
];

function opens(secrets: SecretBox, sealed: Buffer, purpose: string): boolean {
  try {
    secrets.open(sealed, purpose);
    return true;
  } catch {
    return false;
  }
}

/** Throws data_dir_damaged, naming the fix, when `secrets` holds another database's key. */
export function checkMasterKey(store: Store, secrets: SecretBox, now: () => Date): void {
  store.write((tx) => {
    const check = tx.get<{ value_enc: Buffer }>('SELECT value_enc FROM core_secrets WHERE name = ?', CHECK);
    const earlier = check
      ? { purpose: CHECK, sealed: check.value_enc }
      : EARLIER_SEALS.map((sql) => tx.get<{ purpose: string; sealed: Buffer }>(sql)).find((row) => row !== undefined);
    if (earlier && !opens(secrets, earlier.sealed, earlier.purpose)) {
      throw new BulwarkError(
        'data_dir_damaged',
        'the secret key is not the one this database was made with, so its private keys cannot be opened; ' +
          'give the secret.key that was backed up with this bulwark.db (the data dir\'s secret.key, or the file BULWARK_SECRET_KEY_FILE names)',
      );
    }
    if (!check) tx.run('INSERT INTO core_secrets (name, value_enc, created_at) VALUES (?, ?, ?)', CHECK, secrets.seal(PLAINTEXT, CHECK), now().toISOString());
  });
}
