// Whether a program is on PATH, for tests that use real tools when the machine has them.
import { spawnSync } from 'node:child_process';

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
}
