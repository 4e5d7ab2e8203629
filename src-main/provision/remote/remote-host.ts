// Running commands on one host over SSH, as root (directly or through passwordless sudo),
// and how a failed step is told: the command, its exit code and the last lines of its output.
import { BulwarkError, type ProvisionStep, type StepFailure } from '../../contract/index.js';
import type { SshConnection } from '../../core/ports.js';
import { lastLines } from '../../text/last-lines.js';
import { shellCommand } from '../ssh/quote.js';
import type { ExecResult } from '../ssh/session.js';
import { FACTS_SCRIPT, parseFacts, type HostFacts } from '../../host-state/preflight.js';

export type StepStatus = 'started' | 'ok' | 'failed';
export type Report = (step: ProvisionStep, status: StepStatus, message?: string, failure?: StepFailure) => void;

/** A failed step, with the command and the last lines of its output. */
export class StepFailed extends Error {
  constructor(readonly failure: StepFailure) {
    super(failure.message);
  }
}

/** Runs commands as root: directly when connected as root, else through passwordless sudo. */
export class RemoteHost {
  constructor(
    readonly ssh: SshConnection,
    readonly privileges: 'root' | 'sudo' | 'none',
  ) {}

  command(argv: string[]): string {
    const [program = '', ...args] = this.privileges === 'sudo' ? ['sudo', '-n', '--', ...argv] : argv;
    return shellCommand(program, ...args);
  }

  /** Runs argv as root; a non-zero exit is a StepFailed for `step`. */
  async run(step: ProvisionStep, what: string, argv: string[], onLine?: (line: string) => void, timeoutMs?: number): Promise<ExecResult> {
    const command = this.command(argv);
    const r = await this.ssh.exec(command, onLine, timeoutMs);
    if (r.code !== 0) {
      throw new StepFailed({ step, message: `${what} failed (exit code ${r.code})`, command: displayCommand(argv), exitCode: r.code, output: lastLines(`${r.stdout}\n${r.stderr}`) });
    }
    return r;
  }
}

/** A command as shown to the admin: the script of "sh -c SCRIPT" is summarised, not repeated. */
export function displayCommand(argv: string[]): string {
  if (argv[0] === 'sh' && argv[1] === '-c') return shellCommand('sh', '-c', `${(argv[2] ?? '').split('\n')[0]}…`, ...argv.slice(3));
  const [program = '', ...args] = argv;
  return shellCommand(program, ...args);
}

export async function readFacts(ssh: SshConnection): Promise<HostFacts> {
  const r = await ssh.exec(shellCommand('sh', '-c', FACTS_SCRIPT));
  if (r.code !== 0) {
    throw new StepFailed({ step: 'preflight', message: 'the preflight script failed', command: 'sh -c <preflight script>', exitCode: r.code, output: lastLines(`${r.stdout}\n${r.stderr}`) });
  }
  return parseFacts(r.stdout);
}

export function toFailure(stepName: ProvisionStep, err: unknown): StepFailure {
  if (err instanceof StepFailed) return err.failure;
  const message = err instanceof BulwarkError || err instanceof Error ? err.message : String(err);
  return { step: stepName, message, command: null, exitCode: null, output: [] };
}
