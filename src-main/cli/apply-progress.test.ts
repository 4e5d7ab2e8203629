import { describe, expect, test } from 'vitest';
import { ApplyProgress } from './apply-progress.js';

describe("apply's progress without a terminal", () => {
  test('one line per step, host names padded to the run\'s longest so the steps line up', () => {
    let out = '';
    const p = new ApplyProgress({ out: (s) => (out += s), err: () => undefined }, false);
    p.start(['gw', 'edge-east-1']);
    p.update({ run: 'r', host: 'gw', step: 'preflight', status: 'ok', message: 'Debian GNU/Linux 12' });
    p.update({ run: 'r', host: 'edge-east-1', step: 'upload', status: 'failed', message: 'disk full\nmore' });
    expect(out).toBe('gw           preflight ok  Debian GNU/Linux 12\nedge-east-1  upload    FAILED  disk full\n');
  });
});
