// The gateway's VRRP side: keepalived's notify lines and the policy table (pure), and reading
// the notify FIFO on a real file system while keepalived replaces it, as keepalived does: a
// keepalived that made the FIFO removes it when it exits or reloads, and the next one makes another.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { makeNotifyFifo, parseNotifyLine, readNotifyFifo, sourceTable, trackValue } from './vrrp.js';

/** Writes a line as keepalived does: its own read-write, non-blocking descriptor on the FIFO. */
function keepalivedWrites(path: string, line: string): void {
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  writeSync(fd, `${line}\n`);
  // keepalived keeps it open: what it wrote waits for a reader. Held until the test ends.
  held.push(fd);
}
const held: number[] = [];

async function waitFor(what: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('vrrp', () => {
  test.each([
    ['INSTANCE "bw_hq" MASTER 100', { instance: 'bw_hq', role: 'MASTER' }],
    ['INSTANCE "bw_branch_2" BACKUP 100', { instance: 'bw_branch_2', role: 'BACKUP' }],
    ['INSTANCE "bw_hq" FAULT 0', { instance: 'bw_hq', role: 'FAULT' }],
    ['INSTANCE "bw_hq" STOP 0', { instance: 'bw_hq', role: 'STOP' }],
    ['INSTANCE "bw_hq" DELETED 0', { instance: 'bw_hq', role: 'STOP' }],
    ['GROUP "g1" MASTER', null],
    ['MASTER_RX_LOWER_PRI "bw_hq" 100', null],
    ['garbage', null],
  ])('a notify line %j', (line, want) => {
    expect(parseNotifyLine(line)).toEqual(want);
  });

  test('the policy table is the listen port, away from the kernel\'s own tables', () => {
    expect(sourceTable(51820)).toBe(51820);
    expect(sourceTable(254)).toBe(65_790);
    expect(trackValue(true)).toBe('0\n');
    expect(trackValue(false)).toBe('1\n');
  });

  test('the notify FIFO: read, then followed when keepalived replaces or removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-fifo-'));
    const path = join(dir, 'keepalived.fifo');
    const lines: string[] = [];
    const stop = await readNotifyFifo(path, (l) => lines.push(l), 50);
    try {
      expect(statSync(path).isFIFO()).toBe(true);
      keepalivedWrites(path, 'INSTANCE "bw_hq" BACKUP 100');
      await waitFor(() => lines.length === 1);

      // keepalived exits and removes the FIFO; the next one makes its own and says MASTER at once.
      unlinkSync(path);
      execFileSync('mkfifo', ['-m', '0600', path]);
      keepalivedWrites(path, 'INSTANCE "bw_hq" MASTER 100');
      await waitFor(() => lines.length === 2);

      // Removed and not made again yet: the agent makes it, and the next keepalived uses that one.
      unlinkSync(path);
      await waitFor(() => existsSync(path) && statSync(path).isFIFO());
      keepalivedWrites(path, 'INSTANCE "bw_hq" FAULT 0');
      await waitFor(() => lines.length === 3);
      expect(lines).toEqual(['INSTANCE "bw_hq" BACKUP 100', 'INSTANCE "bw_hq" MASTER 100', 'INSTANCE "bw_hq" FAULT 0']);
    } finally {
      stop();
      for (const fd of held.splice(0)) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the FIFO made by keepalived between the look and the mkfifo is taken as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-fifo-'));
    const path = join(dir, 'keepalived.fifo');
    try {
      // Both look before either makes it: one mkfifo fails (EEXIST), as the agent's would when
      // keepalived made the FIFO first. Neither may fail for that.
      await Promise.all([makeNotifyFifo(path), makeNotifyFifo(path)]);
      expect(statSync(path).isFIFO()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
