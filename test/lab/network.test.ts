// The lab address plan against this machine's real addresses and routes, and against
// recorded `ip -j` output (test data: taken from this machine on 2026-11-25, eth0 in 192.0.2.0/24).
import { describe, expect, test } from 'vitest';
import { formatCidr, parseCidr } from '../../src-main/net/ip.js';
import { chooseLabPrefix, labRangeConflict, parseMachineNetwork, readMachineNetwork } from './network.js';

const ADDR = JSON.stringify([
  { ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8 }, { local: '::1', prefixlen: 128 }] },
  { ifname: 'eth0', addr_info: [{ local: '192.0.2.2', prefixlen: 24 }, { local: 'fd00::2', prefixlen: 64 }] },
]);
const ROUTE4 = JSON.stringify([{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }]);
const cidr = (s: string) => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('lab address plan', () => {
  const net = parseMachineNetwork(ADDR, [ROUTE4]);

  test('refuses the machine\'s own range, naming the interface', () => {
    expect(labRangeConflict(cidr('192.0.2.0/27'), net)).toMatch(/overlaps address 192\.0\.2\.2\/24 on eth0/);
  });

  test('the default route is no conflict, or nothing could ever be a lab', () => {
    expect(labRangeConflict(cidr('198.51.100.0/27'), net)).toBeNull();
  });

  test('a running lab\'s route makes the next lab take the next prefix', () => {
    const busy = parseMachineNetwork(ADDR, [JSON.stringify([{ dst: '198.51.100.0/27', dev: 'bwl-a' }])]);
    expect(formatCidr(chooseLabPrefix(busy))).toBe('198.51.100.32/27');
  });

  test('with every candidate taken, the error says why', () => {
    const all = parseMachineNetwork(JSON.stringify([]), [JSON.stringify([{ dst: '198.51.100.0/24', dev: 'x' }, { dst: '203.0.113.0/24', dev: 'y' }])]);
    expect(() => chooseLabPrefix(all)).toThrow(/no free lab range: lab range 198\.51\.100\.0\/27 overlaps route 198\.51\.100\.0\/24 via x/);
  });

  test('on this machine, the chosen prefix overlaps none of its real addresses and routes', () => {
    const real = readMachineNetwork();
    const chosen = chooseLabPrefix(real);
    expect(labRangeConflict(chosen, real)).toBeNull();
    expect(real.used.length).toBeGreaterThan(0);
  });
});
