// What Core needs from the outside world, passed in by system.ts (tests pass their own).
import type { WireGuardKeyPair } from './keys/wireguard.js';

export interface CorePorts {
  now: () => Date;
  generateKeyPair: () => WireGuardKeyPair;
  /** True when the server process can read the file at this absolute path. */
  isReadableFile: (path: string) => boolean;
}
