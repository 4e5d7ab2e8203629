// Where a command writes: stdout and stderr in the real CLI, buffers in tests.
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}
