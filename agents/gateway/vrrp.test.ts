// The pure parts of the gateway's VRRP side: keepalived's notify lines, the policy table.
import { describe, expect, test } from 'vitest';
import { parseNotifyLine, sourceTable, trackValue } from './vrrp.js';

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
});
