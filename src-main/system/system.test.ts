import { expect, test } from 'vitest';
import { EVENT_KINDS } from '../contract/index.js';
import { LINK_TARGET_CHANGES } from './system.js';

test('every kind that changes a host or its roles makes Core look at its links again', () => {
  // Which hosts run which agents follows hosts, gateways, edges, provisioning (over SSH or by a bundle) and revocations.
  // host.updated sets a LAN or platform by hand: Core dials the agents on the SSH address, which it leaves alone.
  const roleKinds = EVENT_KINDS.filter((k) => (/^(host|gateway|edge)\./.test(k) && k !== 'host.updated') || k === 'provision.host_finished' || k === 'certificate.revoked' || k === 'bundle.exported');
  expect([...LINK_TARGET_CHANGES].sort()).toEqual(roleKinds.sort());
});
