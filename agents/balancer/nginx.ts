// nginx as the balancer agent runs it: Bulwark's own configuration and pid file in the unit's
// runtime directory, checked with `nginx -t` before it is used, started once (it daemonizes and
// outlives the agent, like the gateway's tunnels) and reloaded with SIGHUP. A restarted agent
// finds the running nginx by its pid file.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { nginxConfPath, nginxPidPath } from '../../src-main/contract/host-layout.js';
import { lastLines } from '../../src-main/text/last-lines.js';
import { livePid } from '../shared/pid.js';

const run = promisify(execFile);

/** The last lines of nginx's output on one line, without its noise about the test itself. */
export function nginxTail(output: string): string {
  return lastLines(output, 5, /test is successful|syntax is ok/)
    .map((l) => l.trim())
    .join('; ');
}

export class Nginx {
  readonly configPath: string;
  readonly pidFile: string;
  reloads = 0;
  error: string | null = null;

  constructor(
    private readonly program: string,
    runDir: string,
  ) {
    this.configPath = nginxConfPath(runDir);
    this.pidFile = nginxPidPath(runDir);
  }

  /** The master's pid when nginx runs from our pid file; null otherwise. */
  pid(): number | null {
    return livePid(this.pidFile, 'nginx');
  }

  /** The configuration nginx runs with now (what the agent last wrote); null before the first. */
  current(): string | null {
    return existsSync(this.configPath) ? readFileSync(this.configPath, 'utf8') : null;
  }

  /**
   * Makes nginx run `text`: checks it with `nginx -t` first (a configuration nginx refuses is
   * never put in place), then reloads the running nginx, or starts it. Throws with nginx's own
   * words when it cannot.
   */
  async apply(text: string): Promise<'unchanged' | 'reloaded' | 'started'> {
    const pid = this.pid();
    if (pid !== null && this.current() === text) return 'unchanged';
    const next = `${this.configPath}.next`;
    writeFileSync(next, text, { mode: 0o600 });
    try {
      await run(this.program, ['-t', '-q', '-e', 'stderr', '-c', next], { timeout: 30_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw this.failed(`nginx refused the configuration: ${nginxTail(e.stderr ?? e.message)}`);
    }
    renameSync(next, this.configPath);
    if (pid !== null) {
      process.kill(pid, 'SIGHUP');
      this.reloads += 1;
      this.error = null;
      return 'reloaded';
    }
    // nginx forks its master and exits once that runs (or says why it cannot). The master
    // keeps our stdout and stderr, so its log goes to the agent's journal; waiting for the
    // exit (not for those pipes to close) is what tells us it started.
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(this.program, ['-e', 'stderr', '-c', this.configPath], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', () => resolve(null));
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw this.failed(`nginx did not start (exit code ${code ?? 'none: could not run it'}); its own words are in "journalctl -u bulwark-balancer"`);
    for (let i = 0; i < 50 && this.pid() === null; i++) await new Promise((r) => setTimeout(r, 20));
    if (this.pid() === null) throw this.failed(`nginx started but wrote no pid to ${this.pidFile}`);
    this.error = null;
    return 'started';
  }

  /** Stops nginx (the balancer role was removed); waits for it to go. */
  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid === null) return;
    process.kill(pid, 'SIGQUIT');
    for (let i = 0; i < 100 && this.pid() !== null; i++) await new Promise((r) => setTimeout(r, 50));
  }

  private failed(message: string): Error {
    this.error = message;
    return new Error(message);
  }
}
