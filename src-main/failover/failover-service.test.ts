// Failover settings on a real SQLite file: what vrrp and lb mode need, and the messages that
// name the field and the fix. The hosts' LAN is set as a host check records it.
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk, failure } from '../../test/helpers/core.js';
import { lanOf } from '../provision/host-check.js';
import type { Core } from '../system/system.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

async function coreWithGateways(lan: Record<string, string | null> = { gw1: '198.51.100.11/24', gw2: '198.51.100.12/24' }): Promise<Core> {
  const { core } = coreOnDisk(cleanups);
  await core.invoke('locations.create', { name: 'hq', network: '10.50.0.0/24', endpoint: '198.51.100.100:51820' });
  for (const [name, address] of Object.entries(lan)) {
    await core.invoke('hosts.create', { name, ssh: `root@${address ? address.slice(0, address.indexOf('/')) : '198.51.100.99'}` });
    if (address) core.store.write((tx) => tx.run("UPDATE hosts SET lan_interface = 'eth0', lan_address = ? WHERE name = ?", address, name));
    await core.invoke('gateways.add', { location: 'hq', host: name });
  }
  return core;
}


const vrrp = (core: Core, extra: Record<string, unknown> = {}) => core.invoke('locations.setFailover', { name: 'hq', mode: 'vrrp', vip: '198.51.100.100/24', ...extra });

describe('failover settings', () => {
  test('vrrp: stored with a free router id and the default advert; an event says what changed', async () => {
    const core = await coreWithGateways();
    const loc = await vrrp(core);
    expect(loc.failover).toEqual({ mode: 'vrrp', vip: '198.51.100.100/24', interface: null, advertInterval: 0.1, unicast: false, routerId: 1, lbHost: null, lbFailback: null });
    const again = await vrrp(core, { advertInterval: 0.05, unicast: true, interface: 'ens3' });
    expect(again.failover).toMatchObject({ advertInterval: 0.05, unicast: true, interface: 'ens3', routerId: 1 });
    const ev = (await core.invoke('events.list', { limit: 100 })).filter((e) => e.kind === 'location.updated').at(-1)!;
    expect(ev.details).toMatchObject({ failover: { from: { advertInterval: 0.1 }, to: { advertInterval: 0.05 } } });
    expect((await core.invoke('locations.setFailover', { name: 'hq', mode: 'none' })).failover).toEqual({ mode: 'none', vip: null, interface: null, advertInterval: null, unicast: false, routerId: null, lbHost: null, lbFailback: null });
  });

  test('the router id is unique on the LAN: the next location gets the next one; a taken one is refused', async () => {
    const core = await coreWithGateways();
    await vrrp(core);
    await core.invoke('locations.create', { name: 'lab', network: '10.51.0.0/24', endpoint: '198.51.100.101:51821' });
    for (const h of ['gw1', 'gw2']) await core.invoke('gateways.add', { location: 'lab', host: h });
    const taken = await failure(core.invoke('locations.setFailover', { name: 'lab', mode: 'vrrp', vip: '198.51.100.101/24', routerId: 1 }));
    expect([taken.field, taken.message]).toEqual(['routerId', 'routerId: VRRP router id 1 is already used on 198.51.100.0/24 by location hq; choose another (1-255) or leave it out to get a free one']);
    expect((await core.invoke('locations.setFailover', { name: 'lab', mode: 'vrrp', vip: '198.51.100.101/24' })).failover.routerId).toBe(2);
    const same = await failure(core.invoke('locations.setFailover', { name: 'lab', mode: 'vrrp', vip: '198.51.100.100/24' }));
    expect(same.message).toMatch(/198\.51\.100\.100 is already the floating IP of location hq; each location needs its own/);
    await core.invoke('locations.update', { name: 'lab', endpoint: 'vpn.example.com' });
    const endpoint = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'vrrp', vip: '198.51.100.102/24' }));
    expect(endpoint.message).toMatch(/endpoint is 198\.51\.100\.100, so clients would not dial the floating IP 198\.51\.100\.102; run "bulwark location set hq --endpoint 198\.51\.100\.102:51820" first/);
  });

  test.each([
    [{ vip: '198.51.100.100/24' }, { gw1: '198.51.100.11/24' }, 'mode', /vrrp needs at least two gateways, and location hq has 1; add one with "bulwark gateway add --location hq --host HOST"/],
    [{ vip: '203.0.113.100/24' }, undefined, 'vip', /203\.0\.113\.100\/24 is not on gateway gw1's LAN \(198\.51\.100\.11\/24 on eth0\); use an address\/prefix inside 198\.51\.100\.0\/24/],
    [{ vip: '198.51.100.100/24' }, { gw1: '198.51.100.11/24', gw2: null }, 'vip', /has not seen gateway gw2's network yet.*run "bulwark host check gw2" first/],
    [{ vip: '198.51.100.11/24' }, undefined, 'vip', /198\.51\.100\.11 is host gw1's own address/],
    [{ vip: '198.51.100.255/24' }, undefined, 'vip', /is the broadcast address of 198\.51\.100\.0\/24/],
  ])('vrrp refuses %j', async (input, lan, field, message) => {
    const core = await coreWithGateways(lan);
    const err = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'vrrp', ...input }));
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  test.each([
    [{ mode: 'vrrp' }, 'vip', /is required for --mode vrrp/],
    [{ mode: 'vrrp', vip: '198.51.100.100' }, 'vip', /has no prefix length/],
    [{ mode: 'vrrp', vip: '198.51.100.100/24', advertInterval: 0.005 }, 'advertInterval', /0\.005 s is too short; use at least 0\.01 s/],
    [{ mode: 'vrrp', vip: '198.51.100.100/24', advertInterval: 0.015 }, 'advertInterval', /multiple of 0\.01 s: VRRPv3 counts in centiseconds/],
    [{ mode: 'vrrp', vip: '198.51.100.100/24', advertInterval: 300 }, 'advertInterval', /300 s is too long; use at most 255 s/],
    [{ mode: 'vrrp', vip: '198.51.100.100/24', interface: 'eth0; reboot' }, 'interface', /is not an interface name/],
    [{ mode: 'none', vip: '198.51.100.100/24' }, 'vip', /applies to --mode vrrp only/],
    [{ mode: 'lb' }, 'lbHost', /is required for --mode lb/],
  ])('the contract refuses %j', async (input, field, message) => {
    const core = await coreWithGateways();
    const err = await failure(core.invoke('locations.setFailover', { name: 'hq', ...input } as never));
    expect(err.code).toBe('invalid_input');
    expect(err.issues.find((i) => i.field === field)?.message).toMatch(message);
  });

  test('lb: the load balancer runs on a host that is not one of the gateways, at the endpoint clients dial', async () => {
    const core = await coreWithGateways();
    const own = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'gw1' }));
    expect([own.field, own.message]).toEqual(['lbHost', 'lbHost: gw1 is a gateway of hq; the load balancer must run on another host, or losing that host loses both']);
    await core.invoke('hosts.create', { name: 'lb1', ssh: 'root@198.51.100.20' });
    const elsewhere = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' }));
    expect(elsewhere.message).toMatch(/endpoint is 198\.51\.100\.100, not the load balancer's address 198\.51\.100\.20; run "bulwark location set hq --endpoint 198\.51\.100\.20:51820" first/);
    await core.invoke('locations.update', { name: 'hq', endpoint: '198.51.100.20' });
    expect((await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' })).failover).toMatchObject({ mode: 'lb', lbHost: 'lb1', vip: null, lbFailback: 'auto' });
    // The failback policy is kept when the lb settings are given again without it.
    await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1', lbFailback: 'manual' });
    expect((await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' })).failover.lbFailback).toBe('manual');
    const wrongMode = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'none', lbFailback: 'manual' }));
    expect([wrongMode.field, wrongMode.message]).toEqual(['lbFailback', 'lbFailback: applies to --mode lb only; drop it for --mode none']);
    await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1', lbFailback: 'auto' });
    expect((await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'nope' }))).code).toBe('not_found');
    // The load balancer cannot then become a gateway of it, and is not removed while it balances.
    const gw = await failure(core.invoke('gateways.add', { location: 'hq', host: 'lb1' }));
    expect([gw.field, gw.message]).toEqual(['host', 'host: lb1 is the load balancer of location hq; a gateway must be another host, or losing that host loses both']);
    expect((await core.invoke('hosts.get', { name: 'lb1' })).roles).toEqual(['balancer:hq']);
    const rm = await failure(core.invoke('hosts.remove', { name: 'lb1' }));
    expect(rm.message).toBe('host "lb1" is still balancer:hq; remove that role first with "bulwark location failover hq --mode none" (or another --lb-host)');
  });

  test('lb: a gateway reached by name needs a host check first, so the balancer has an address to send to', async () => {
    const core = await coreWithGateways({ gw1: '198.51.100.11/24', gw2: null });
    core.store.write((tx) => tx.run("UPDATE hosts SET ssh_address = 'gw2.example.com' WHERE name = 'gw2'"));
    await core.invoke('hosts.create', { name: 'lb1', ssh: 'root@198.51.100.20' });
    await core.invoke('locations.update', { name: 'hq', endpoint: '198.51.100.20' });
    const e = await failure(core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' }));
    expect([e.field, e.message]).toEqual(['host', `host: the load balancer of location hq needs gateway gw2's LAN address, and Bulwark has not seen it yet (gw2 is reached as gw2.example.com); run "bulwark host check gw2" first`]);
  });

  test('lb-config: the Envoy and nginx configs name the gateways by their LAN address and health URL; only for lb locations', async () => {
    const core = await coreWithGateways();
    const notLb = await failure(core.invoke('locations.lbConfig', { name: 'hq', format: 'envoy' }));
    expect([notLb.field, notLb.message]).toEqual(['name', 'name: location hq does not use a load balancer (its failover is none); set one with "bulwark location failover hq --mode lb --lb-host HOST"']);
    await core.invoke('hosts.create', { name: 'lb1', ssh: 'root@198.51.100.20' });
    await core.invoke('locations.update', { name: 'hq', endpoint: '198.51.100.20' });
    await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' });
    const envoy = await core.invoke('locations.lbConfig', { name: 'hq', format: 'envoy' });
    expect(envoy.lbHost).toBe('lb1');
    expect(envoy.text).toMatch(/address: 198\.51\.100\.11\n\s+port_value: 51820\n\s+health_check_config:\n\s+port_value: 9463/);
    expect(envoy.text).toContain('path: /healthz/location/hq');
    const nginx = await core.invoke('locations.lbConfig', { name: 'hq', format: 'nginx' });
    expect(nginx.text).toMatch(/^ {4}server 198\.51\.100\.12:51820 max_fails=1 fail_timeout=10s;  # gw2$/m);
    expect(nginx.text).toMatch(/^ {4}listen 0\.0\.0\.0:51820 udp;$/m);
  });

  test('a host that balances nothing any more loses its balancer certificate', async () => {
    const core = await coreWithGateways();
    await core.invoke('hosts.create', { name: 'lb1', ssh: 'root@198.51.100.20' });
    await core.invoke('locations.update', { name: 'hq', endpoint: '198.51.100.20' });
    await core.invoke('locations.setFailover', { name: 'hq', mode: 'lb', lbHost: 'lb1' });
    const host = core.store.read((tx) => tx.get<{ id: number; name: string; ssh_address: string }>("SELECT id, name, ssh_address FROM hosts WHERE name = 'lb1'"))!;
    const cert = await core.services.pki.agentCert('balancer', { id: host.id, name: host.name, address: host.ssh_address });
    expect(core.services.pki.lookup(cert.serial)?.revokedAt).toBeNull();
    await core.invoke('locations.setFailover', { name: 'hq', mode: 'none' });
    expect(core.services.pki.lookup(cert.serial)?.revokedAt).not.toBeNull();
    const ev = (await core.invoke('events.list', { limit: 100, newest: true })).filter((e) => e.kind === 'certificate.revoked').at(-1)!;
    expect(ev.subject).toBe('certificate:balancer:lb1');
  });
});

describe('the LAN a host check records', () => {
  const lines = ['addr=lo 127.0.0.1/8', 'addr=eth0 198.51.100.11/24', 'addr=eth1 10.9.0.2/24', 'default=eth1'];
  test('the interface that holds the SSH address, else the default route', () => {
    expect(lanOf(lines, '198.51.100.11')).toEqual({ interface: 'eth0', address: '198.51.100.11/24' });
    expect(lanOf(lines, 'gw1.example.com')).toEqual({ interface: 'eth1', address: '10.9.0.2/24' });
    expect(lanOf(['addr=eth0 198.51.100.11/24'], 'gw1.example.com')).toBeNull();
  });
});
