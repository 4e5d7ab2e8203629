// The commit: host-apply, exactly as an SSH apply runs it (under the same lock, with the same
// order), its JSON lines printed as the installer's own steps.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { HostApplyLine, type HostApplyOrder } from '../contract/index.js';
import { HOST_APPLY_LOCK } from '../contract/host-layout.js';
import { lastLines } from '../text/last-lines.js';
import type { Printer } from './output.js';

export type Outcome = 'applied' | 'rolled_back' | 'rollback_failed' | 'busy' | 'no_result';

export async function commit(order: HostApplyOrder, runtime: string, p: Printer): Promise<{ outcome: Outcome; message: string }> {
  const child = spawn('flock', ['-n', '-E', '75', HOST_APPLY_LOCK, runtime, join(order.staging, 'host-apply.mjs'), join(order.staging, 'order.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let result: Extract<HostApplyLine, { type: 'result' }> | null = null;
  let rest = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    rest += d;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const text = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      let line: HostApplyLine;
      try {
        line = HostApplyLine.parse(JSON.parse(text));
      } catch {
        continue;
      }
      if (line.type === 'result') result = line;
      else p.step({ step: line.step, status: line.status, ...(line.message ? { message: line.message } : {}), command: line.command ?? null, exitCode: line.exitCode ?? null, output: line.output ?? [] });
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const end = result as Extract<HostApplyLine, { type: 'result' }> | null;
  if (end) return { outcome: end.outcome, message: end.message };
  if (code === 75) return { outcome: 'busy', message: `another Bulwark apply is running on this host (it holds ${HOST_APPLY_LOCK}); nothing was changed. Wait for it, then install again` };
  return { outcome: 'no_result', message: `host-apply ended with exit code ${code} and no result:\n${lastLines(stderr, 10).join('\n')}` };
}
