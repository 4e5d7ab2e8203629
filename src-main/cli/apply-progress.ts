// `bulwark provision apply`'s progress: on a terminal, a live block with one line per host,
// redrawn in place; otherwise one line per step. Host names are padded to the run's longest,
// so the steps line up. Only commands/provision.ts imports it.
import type { ProvisionStepDetails, ProvisionWaveDetails } from '../contract/index.js';
import { safe } from './format.js';
import type { CliIo } from './io.js';

/** The live per-host display: one line each, redrawn in place on a terminal. */
export class ApplyProgress {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  /** The longest host name of the run, once it started: the text column lines up. */
  private width = 0;

  constructor(
    private readonly io: CliIo,
    private readonly live: boolean,
  ) {}

  /** The run started on these hosts. */
  start(hosts: string[]): void {
    this.width = Math.max(0, ...hosts.map((h) => safe(h).length));
  }

  update(d: ProvisionStepDetails): void {
    const text = `${d.step.padEnd(9)} ${d.status === 'started' ? '…' : d.status === 'ok' ? 'ok' : 'FAILED'}${d.message ? `  ${d.message.split('\n')[0]}` : ''}`;
    if (!this.live) {
      this.io.out(`${safe(d.host).padEnd(this.width)}  ${safe(text)}\n`);
      return;
    }
    this.lines.set(d.host, text);
    this.redraw();
  }

  /** A wave starts or ends: said on its own line, above the live block. */
  wave(d: ProvisionWaveDetails): void {
    const line = `wave ${d.index + 1} of ${d.of} ${d.status === 'started' ? 'started' : 'done'}: ${d.hosts.map(safe).join(', ')}\n`;
    if (!this.live || this.drawn === 0) {
      this.io.out(line);
      return;
    }
    this.io.out(`\x1b[${this.drawn}A\x1b[J${line}`);
    this.drawn = 0;
    this.redraw();
  }

  private redraw(): void {
    const cols = Math.max(40, process.stdout.columns ?? 100);
    const width = Math.max(this.width, ...[...this.lines.keys()].map((h) => safe(h).length));
    let block = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const [host, text] of this.lines) block += `\x1b[2K${`${safe(host).padEnd(width)}  ${safe(text)}`.slice(0, cols - 1)}\n`;
    this.drawn = this.lines.size;
    this.io.out(block);
  }
}
