// What Core needs from the outside world, passed in by system.ts (tests pass their own).
import type { WireGuardKeyPair } from './keys/wireguard.js';

export interface SshTarget {
  /** Bulwark's name for the host, used in every message. */
  name: string;
  user: string;
  address: string;
  port: number;
  auth: { kind: 'agent' } | { kind: 'key'; identityFile: string };
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One file to upload: bytes, or a local file streamed with SFTP's parallel writes. */
export interface Upload {
  remotePath: string;
  mode: number;
  source: { kind: 'bytes'; bytes: Buffer } | { kind: 'file'; localPath: string };
}

/** An open SSH session to one host (provision/ssh/session.ts implements it with ssh2). */
export interface SshConnection {
  readonly fingerprint: string;
  /** Runs a command; rejects (unavailable) after timeoutMs (default 120 s) or when the connection drops. */
  exec(command: string, onLine?: (line: string) => void, timeoutMs?: number): Promise<ExecResult>;
  upload(files: Upload[]): Promise<void>;
  close(): void;
}

export interface CorePorts {
  now: () => Date;
  generateKeyPair: () => WireGuardKeyPair;
  /**
   * Why the file at this absolute path cannot be a host's SSH identity (the message, without the
   * field), or null when it is a private key the server can read and use. The same message for
   * a missing, unreadable or non-key file; files in Bulwark's data directory are refused.
   */
  identityFileProblem: (path: string) => string | null;
  /** Opens an SSH session; refuses (host_key_changed) a host whose key differs from `pinned`. */
  connectSsh: (target: SshTarget, pinned: string | null) => Promise<SshConnection>;
}
