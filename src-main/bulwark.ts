// The `bulwark` executable.
import { runCli } from './cli/program.js';

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
// Exit now: idle keep-alive sockets of fetch would otherwise hold the process for seconds.
process.exit(code);
