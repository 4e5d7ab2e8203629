// What Core needs from the outside world, passed in by system.ts (tests pass their own).
import type { WireGuardKeyPair } from './keys/wireguard.js';
import type { ExecResult, SshTarget, Upload } from '../provision/ssh/session.js';

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
  /** True when the server process can read the file at this absolute path. */
  isReadableFile: (path: string) => boolean;
  /** Opens an SSH session; refuses (host_key_changed) a host whose key differs from `pinned`. */
  connectSsh: (target: SshTarget, pinned: string | null) => Promise<SshConnection>;
}
