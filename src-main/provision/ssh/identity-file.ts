// Whether a file can be a host's SSH identity: checked when the host is added, so that a wrong
// path is a 400 naming identityFile rather than a failed connection (or ssh2's parse error) at
// the first provisioning. The answer is the same for a file that is missing, unreadable or not a
// private key, so the check tells nobody which files exist on the server. Files in Bulwark's own
// data directory (its token, master key and database) are refused whatever they hold.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import ssh2 from 'ssh2';

// ssh2 is CommonJS, and Node finds no named export `utils` in it.
const { utils } = ssh2;

/** Larger than any SSH private key (an RSA-16384 one in OpenSSH form is about 12 KiB). */
const MAX_KEY_BYTES = 64 * 1024;

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The file's bytes when it is a regular file of key size that this process can read; null otherwise. Never blocks on a FIFO or device. */
function readSmallFile(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_KEY_BYTES) return null;
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    return buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Why the file at `path` cannot be a host's SSH identity, or null when it is an unencrypted
 * private key this process can read. `dataDir` is Bulwark's data directory.
 */
export function identityFileProblem(path: string, dataDir: string): string | null {
  const dirs = [resolve(dataDir), realOrResolved(dataDir)];
  const paths = [resolve(path), realOrResolved(path)];
  if (paths.some((p) => dirs.some((d) => p === d || p.startsWith(d + sep)))) {
    return `${path} is inside Bulwark's data directory (${dataDir}), which holds its own secrets; give the path of the SSH private key for this host, kept elsewhere`;
  }
  const bytes = readSmallFile(path);
  const key = bytes === null ? null : utils.parseKey(bytes);
  if (key instanceof Error && /no passphrase given/.test(key.message)) {
    // ssh2's words for a key it could read only with a passphrase, which Bulwark has no way to ask for.
    return `${path} is protected by a passphrase, which Bulwark cannot enter; load the key into the ssh-agent and leave identityFile out, or use a key without a passphrase`;
  }
  if (key === null || key instanceof Error || !key.isPrivateKey()) {
    return `${path} is not an SSH private key that the Bulwark server can read; give the path of the private key (such as ~/.ssh/id_ed25519, not the .pub file) readable by the user that runs Bulwark, or leave identityFile out to use the ssh-agent`;
  }
  return null;
}
