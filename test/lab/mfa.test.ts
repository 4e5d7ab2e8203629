// MFA on real WireGuard: a device of an MFA location reaches the gateway only with a session.
// Idle past the location's threshold, its peer is removed by the gateway itself: with Core up
// (Core records the session as ended by the gateway), and with Core down, across an agent
// restart, until Core returns and hears of it. Only a new session brings the peer back.
import { describe, expect, test } from 'vitest';
import { until } from '../helpers/agent.js';
import { runCli, startInProcess } from '../helpers/server.js';
import { gatewayHealth, provisionGateway } from './gateway-setup.js';
import { Lab, labMissing } from './scenario.js';

const missing = labMissing();
if (missing && process.env.CI === 'true') throw new Error(`lab tests cannot run: ${missing}`);

const POOL = '10.78.0.0/24';
const GATEWAY_TUNNEL_ADDRESS = '10.78.0.1';
/** The shortest threshold an MFA location accepts. */
const THRESHOLD_S = 60;

describe.skipIf(missing !== null)('MFA sessions on a gateway', () => {
  test('no session, no traffic; an idle peer is removed by the gateway, with Core up and with Core down', async () => {
    await using lab = await Lab.create();
    await using srv = await startInProcess({ link: { heartbeatMs: 500, downAfterMs: 3000 } });
    const cli = (...args: string[]) => runCli(['--data-dir', srv.dataDir, ...args]);
    const [gw] = await Promise.all([lab.boot('gw'), lab.boot('client')]);
    const add = await cli('location', 'add', 'secure', '--network', POOL, '--endpoint', `${gw.address}:51820`, '--mfa', '--disconnect-threshold', String(THRESHOLD_S));
    expect(add.code, add.stderr).toBe(0);
    await provisionGateway(lab, srv, gw, 'secure');

    const device = await cli('device', 'add', '--location', 'secure', 'laptop');
    expect(device.code).toBe(0);
    const up = lab.exec('client', ['sh', '-c', 'mkdir -p /etc/wireguard && umask 077 && printf "%s" "$1" > /etc/wireguard/wg0.conf && wg-quick up wg0', 'sh', device.stdout]);
    expect(up.code, up.stderr).toBe(0);
    const reaches = () => lab.exec('client', ['ping', '-c', '1', '-W', '1', GATEWAY_TUNNEL_ADDRESS]).code === 0;
    const blocked = () => lab.exec('client', ['ping', '-c', '3', '-i', '0.3', '-W', '1', GATEWAY_TUNNEL_ADDRESS]).code !== 0;
    const peersOnGateway = () => lab.exec('gw', ['wg', 'show', 'bw-secure', 'peers']).stdout.trim();
    const client = (cmd: string) => expect(lab.exec('client', ['wg-quick', cmd, 'wg0']).code).toBe(0);
    const sessions = async () => srv.client.call('sessions.list', { location: 'secure', all: true });

    // No session: the device is known to Core but is no peer of the gateway.
    expect(blocked()).toBe(true);
    expect(peersOnGateway()).toBe('');
    let status = await cli('status', '--location', 'secure');
    expect(status.stdout).toMatch(/^laptop\s.*none \(waiting for MFA\)$/m);

    // A session (what the edge starts after MFA): the peer is on the gateway, traffic flows.
    const first = await cli('session', 'start', '--location', 'secure', 'laptop');
    expect(first.code, first.stderr).toBe(0);
    await until('traffic with a session', () => reaches(), 10_000);
    status = await cli('status', '--location', 'secure');
    expect(status.stdout).toMatch(/\(MFA: .*after 60 s\)/);
    expect(status.stdout).toMatch(/^laptop\s.*\s\d+ since \S+$/m);

    // Phase 1, Core up: the laptop goes away (tunnel down). Not before the threshold, but after
    // it, the gateway removes the peer, and Core records that the gateway ended the session.
    const key = peersOnGateway();
    expect(key).toMatch(/=$/);
    client('down');
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, (THRESHOLD_S - 15) * 1000));
    expect(peersOnGateway()).toBe(key);
    await until('the idle peer removed by the gateway', () => peersOnGateway() === '', 45_000);
    console.log(`idle peer removed ${((Date.now() - downAt) / 1000).toFixed(1)} s after the tunnel went down (threshold ${THRESHOLD_S} s)`);
    const ended = await until('Core to record the idle end', async () => (await sessions()).find((s) => s.endReason === 'idle'));
    expect(ended).toMatchObject({ device: 'laptop', endedBy: 'gateway:gw' });
    client('up');
    expect(blocked()).toBe(true);

    // Phase 2, Core down: a new session; Core stops; the laptop goes away. The gateway removes
    // the peer by itself, and it stays removed across an agent restart and Core's return.
    expect((await cli('session', 'start', '--location', 'secure', 'laptop')).code).toBe(0);
    await until('traffic with the second session', () => reaches(), 10_000);
    const second = (await srv.client.call('sessions.list', { location: 'secure' }))[0]!;
    await srv.running.stop();
    client('down');
    await until('the idle peer removed while Core is down', () => peersOnGateway() === '', (THRESHOLD_S + 30) * 1000);
    expect(lab.exec('gw', ['systemctl', 'restart', 'bulwark-gateway.service']).code).toBe(0);
    await until('the restarted agent to answer', () => {
      try {
        return gatewayHealth(lab, 'gw').ok;
      } catch {
        return false;
      }
    });
    expect(gatewayHealth(lab, 'gw').wireguard.locations[0]).toMatchObject({ name: 'secure', mfa: true, peers: 0, expiredUnacknowledged: 1 });
    expect(peersOnGateway()).toBe('');
    client('up');
    expect(blocked()).toBe(true);

    // Core returns: it still believed the session active and sends it in its full set, but
    // the gateway keeps it out, reports the expiry, and Core ends the session.
    await srv.restart();
    const late = await until('Core to hear of the expiry', async () => (await sessions()).find((s) => s.id === second.id && s.endReason === 'idle'), 20_000);
    expect(late.endedBy).toBe('gateway:gw');
    await until('the gateway to drop the acknowledged expiry', () => gatewayHealth(lab, 'gw').wireguard.locations[0]!.expiredUnacknowledged === 0);
    expect(peersOnGateway()).toBe('');
    expect(blocked()).toBe(true);

    // Only a new session brings the peer back.
    expect((await cli('session', 'start', '--location', 'secure', 'laptop')).code).toBe(0);
    await until('traffic with a third session', () => reaches(), 10_000);
    const kinds = (await srv.client.call('events.list', { limit: 1000 })).filter((e) => e.kind.startsWith('session.')).map((e) => `${e.kind}${e.details.reason ? `:${String(e.details.reason)}` : ''}`);
    expect(kinds).toEqual(['session.started', 'session.ended:idle', 'session.started', 'session.ended:idle', 'session.started']);
  }, 300_000);
});
