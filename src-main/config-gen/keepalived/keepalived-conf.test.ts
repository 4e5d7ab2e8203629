// Test data source: testdata/*.json are hand-written models; the .conf files are the
// generator's reviewed output. Regenerate with `npx vitest run --config test/vitest.config.ts -u`.
// keepalived itself checks each golden file (`keepalived -t`) in test/lab/failover.test.ts,
// on a lab host, where keepalived is installed.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { goldenFiles } from '../../../test/helpers/golden.js';
import { instanceName, renderKeepalivedConf, type KeepalivedModel } from './keepalived-conf.js';


describe('renderKeepalivedConf', () => {
  const { load } = goldenFiles<KeepalivedModel>(join(import.meta.dirname, 'testdata'), 'conf', renderKeepalivedConf);

  test('every instance is VRRPv3, starts as backup, never preempts, and tracks the data plane', () => {
    const conf = renderKeepalivedConf(load('two-locations'));
    expect(conf).toMatch(/^ {2}vrrp_version 3$/m);
    expect(conf.match(/^ {2}state BACKUP$/gm)).toHaveLength(2);
    expect(conf.match(/^ {2}nopreempt$/gm)).toHaveLength(2);
    expect(conf).toMatch(/vrrp_track_file bw_branch_2_health \{\n {2}file \/run\/bulwark\/health-branch-2\n\}/);
    expect(conf).toMatch(/track_file \{\n {4}bw_hq_health weight 0\n {2}\}/);
    expect(conf).toMatch(/^ {2}advert_int 0\.05$/m);
  });

  test('names that keepalived would misread are refused, not written', () => {
    const m = load('unicast');
    expect(() => renderKeepalivedConf({ ...m, instances: [{ ...m.instances[0]!, interface: 'eth0 }' }] })).toThrow(/interface/);
    expect(() => renderKeepalivedConf({ ...m, instances: [{ ...m.instances[0]!, routerId: 256 }] })).toThrow(/router id/);
    expect(instanceName('branch-2.east')).toBe('bw_branch_2_east');
  });
});
