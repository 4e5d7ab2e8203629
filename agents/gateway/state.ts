// What the gateway last applied, kept on its host (systemd's StateDirectory), so that after a
// restart, with or without Core, it brings every location's peers back as they were.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WgPeer } from '../../src-main/contract/index.js';

const State = z.object({
  version: z.literal(1),
  locations: z.record(z.string(), z.object({ revision: z.number().int(), peers: z.array(WgPeer) })),
});
export type GatewayState = z.infer<typeof State>;

export class StateFile {
  private timer: NodeJS.Timeout | null = null;
  readonly path: string;

  constructor(
    dir: string,
    readonly state: GatewayState,
    private readonly onError: (err: Error) => void,
  ) {
    this.path = join(dir, 'state.json');
  }

  /** Reads the last state; a missing or damaged file starts empty (Core resends everything). */
  static load(dir: string, onError: (err: Error) => void): StateFile {
    let state: GatewayState = { version: 1, locations: {} };
    try {
      state = State.parse(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(new Error(`state.json is damaged (${(err as Error).message}); starting without it`));
    }
    return new StateFile(dir, state, onError);
  }

  /** Writes soon (changes within 100 ms share one write), atomically. */
  save(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, 100);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      mkdirSync(join(this.path, '..'), { recursive: true, mode: 0o700 });
      writeFileSync(`${this.path}.new`, JSON.stringify(this.state), { mode: 0o600 });
      renameSync(`${this.path}.new`, this.path);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}
