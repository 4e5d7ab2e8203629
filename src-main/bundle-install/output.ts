// What the installer prints: one line per step, as `bulwark provision apply` prints a host's
// steps when it is not on a terminal ("gw1  install   ok  …"), or JSON lines with --json.
// A failed step is followed by its command, exit code and the last lines of its output.
export type Status = 'started' | 'ok' | 'failed';

export interface StepLine {
  step: string;
  status: Status;
  message?: string;
  command?: string | null;
  exitCode?: number | null;
  output?: string[];
}

export class Printer {
  constructor(
    private readonly host: string,
    private readonly json: boolean,
  ) {}

  step(line: StepLine): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify({ type: 'step', host: this.host, ...line })}\n`);
      return;
    }
    const status = line.status === 'started' ? '…' : line.status === 'ok' ? 'ok' : 'FAILED';
    const [first = '', ...rest] = (line.message ?? '').split('\n');
    let text = `${this.host}  ${line.step.padEnd(9)} ${status}${first ? `  ${first}` : ''}\n`;
    for (const r of rest) text += `    ${r}\n`;
    if (line.status === 'failed') {
      if (line.command) text += `    command: ${line.command}${line.exitCode != null ? ` (exit ${line.exitCode})` : ''}\n`;
      for (const o of line.output ?? []) text += `    | ${o}\n`;
    }
    process.stdout.write(text);
  }

  result(outcome: string, message: string): void {
    if (this.json) process.stdout.write(`${JSON.stringify({ type: 'result', host: this.host, outcome, message })}\n`);
    else process.stdout.write(`${this.host}  ${outcome}: ${message}\n`);
  }
}

/** Runs a step: started, then ok with its summary, or failed (and rethrown). */
export async function timed<T>(p: Printer, step: string, message: string, work: () => T | Promise<T>, done?: (v: T) => string): Promise<T> {
  p.step({ step, status: 'started', message });
  try {
    const v = await work();
    p.step({ step, status: 'ok', ...(done ? { message: done(v) } : {}) });
    return v;
  } catch (err) {
    const e = err as Error & { command?: string; exitCode?: number | null; output?: string[] };
    p.step({ step, status: 'failed', message: e.message, command: e.command ?? null, exitCode: e.exitCode ?? null, output: e.output ?? [] });
    throw err;
  }
}
