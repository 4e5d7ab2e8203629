// The gateway's one queue of changes: in order, never overlapping, and a failure stops nothing after it.
import { describe, expect, test } from 'vitest';
import { SerialQueue } from './serial.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SerialQueue', () => {
  test('runs work one at a time in the order it came; a failure reaches its caller only', async () => {
    const q = new SerialQueue();
    const seen: string[] = [];
    let running = 0;
    const job = (name: string, fail = false) =>
      q.run(async () => {
        running += 1;
        expect(running).toBe(1);
        seen.push(`start ${name}`);
        await tick();
        seen.push(`end ${name}`);
        running -= 1;
        if (fail) throw new Error(`${name} failed`);
        return name;
      });
    const a = job('a');
    const b = job('b', true);
    const c = job('c');
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(seen).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  test('drained waits for everything queued so far, failures included', async () => {
    const q = new SerialQueue();
    let done = 0;
    void q.run(async () => {
      await tick();
      done += 1;
    });
    q.run(async () => {
      await tick();
      done += 1;
      throw new Error('x');
    }).catch(() => undefined);
    await q.drained();
    expect(done).toBe(2);
  });
});
