// The public service end to end on this machine, without the lab: a real Core and the real
// edge agent bundle over the mutual-TLS link on loopback, and HTTPS requests to the edge as a
// browser makes them. Enrollment (plain and with TOTP), idempotent retries, the bad input of
// the edge issue, lockouts held in Core, and the edge's answers while it has no Core.
// (The host is marked provisioned in the store: SSH provisioning is the lab's subject.)
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { TOTP, Secret } from 'otpauth';
import { CONTROL_PORT } from '../../src-main/contract/host-layout.js';
import { freePort, startAgent, until, writeAgentFiles } from '../helpers/agent.js';
import { runCli, startInProcess, tempDir } from '../helpers/server.js';
import { httpsCall, PublicClient } from '../helpers/edge-client.js';

function wireguardPublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
}

const tokenOf = (url: string) => url.slice(url.indexOf('#') + 1);
const codeAt = (secret: string, ms: number) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: ms });

describe('public service through an edge', () => {
  test('enrollment, MFA, idempotent retries, bad input, lockouts, and no Core', { timeout: 90_000 }, async () => {
    await using srv = await startInProcess({ link: { heartbeatMs: 100, downAfterMs: 700, minBackoffMs: 50, maxBackoffMs: 300 } });
    using tmp = tempDir();
    const c = srv.client;
    const core = srv.running.core;
    await c.call('locations.create', { name: 'office', network: '10.91.0.0/24', endpoint: 'vpn.example.test' });
    await c.call('locations.create', { name: 'secure', network: '10.92.0.0/24', endpoint: 'vpn.example.test:51821', mfa: true });
    await expect(c.call('invites.create', { location: 'office', name: 'anna' })).rejects.toThrow(/no public name yet.*edge balancer/);
    await expect(c.call('edges.setPublic', { publicName: 'vpn.example.test', balancer: null, trustedProxies: ['proxy.example'] })).rejects.toThrow(/^trustedProxies\.0: is not an IP address/);
    const pub = await c.call('edges.setPublic', { publicName: 'vpn.example.test', balancer: null });
    expect(pub.tls.source).toBe('ca');
    await c.call('hosts.create', { name: 'e1', ssh: 'root@127.0.0.1' });
    const hostId = core.store.read((tx) => tx.get<{ id: number }>("SELECT id FROM hosts WHERE name = 'e1'"))!.id;
    core.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = ? WHERE id = ?', new Date().toISOString(), hostId));
    await c.call('edges.add', { host: 'e1' });
    const cert = await core.services.pki.agentCert('edge', { id: hostId, name: 'e1', address: '127.0.0.1' });
    const publicPort = await freePort();
    const config = writeAgentFiles(tmp.dir, { role: 'edge', host: 'e1', healthPort: await freePort(), controlPort: CONTROL_PORT.edge, publicPort, tls: { ca: await core.services.pki.caPem(), cert: cert.certPem, key: cert.keyPem } });
    const base = `https://127.0.0.1:${publicPort}`;
    const agent = startAgent(tmp.dir, config);
    try {
      await until('the edge to be ready', async () => (await httpsCall(base, '/readyz').catch(() => null))?.status === 200, 15_000);
      const browser = new PublicClient(base);

      // Plain enrollment: the browser's key, the config back, the device made, the invite used.
      const inv = await c.call('invites.create', { location: 'office', name: 'Anna\'s "laptop" $(id)' });
      expect(inv.url).toMatch(/^https:\/\/vpn\.example\.test\/enroll#[A-Za-z0-9_-]{43}$/);
      const token = tokenOf(inv.url);
      expect(JSON.stringify(core.store.read((tx) => tx.all('SELECT * FROM invites')))).not.toContain(token);
      const look = await browser.call('invite.lookup', { token });
      expect([look.status, look.json()]).toEqual([200, { location: 'office', device: 'Anna\'s "laptop" $(id)', mfa: false, expiresAt: inv.invite.expiresAt }]);
      const key = wireguardPublicKey();
      const done = await browser.call('enroll.complete', { token, publicKey: key }, { idempotencyKey: 'retry-of-one-action-1' });
      expect(done.status).toBe(200);
      expect(done.json()).toMatchObject({ location: 'office', mfa: false, connectUrl: null, config: { address: '10.91.0.2/32', endpoint: 'vpn.example.test:51820' } });
      // The balancer retried it on another edge: the same answer, nothing made twice.
      const again = await browser.call('enroll.complete', { token, publicKey: key }, { idempotencyKey: 'retry-of-one-action-1' });
      expect([again.status, again.json()]).toEqual([200, done.json()]);
      expect((await c.call('devices.list', { location: 'office' })).map((d) => [d.name, d.publicKey])).toEqual([['Anna\'s "laptop" $(id)', key]]);
      // A used token: a clear 410, and an event.
      const used = await browser.call('enroll.complete', { token, publicKey: wireguardPublicKey() });
      expect([used.status, used.json().error.code]).toEqual([410, 'invite_used']);
      expect(used.json().error.message).toMatch(/already used/);
      const unknown = await browser.call('invite.lookup', { token: 'A'.repeat(43) });
      expect([unknown.status, unknown.json().error.code]).toEqual([404, 'invite_unknown']);

      // Bad input, each a clear 4xx naming what is wrong.
      await expect(c.call('invites.create', { location: 'office', name: 'two\nlines' })).rejects.toThrow(/name: contains a line break/);
      const inv2 = await c.call('invites.create', { location: 'office', name: 'bob', expires: '1h' });
      const t2 = tokenOf(inv2.url);
      const h = await browser.headers('enroll.complete');
      const post = (body: string | Buffer, headers: Record<string, string> = h) => httpsCall(base, '/api/v1/enroll.complete', { method: 'POST', headers, body });
      expect((await post(Buffer.alloc(20_000, 'a'))).status).toBe(413);
      const badJson = await post('{"token":');
      expect([badJson.status, badJson.json().error.message]).toEqual([400, 'The request is not valid JSON.']);
      const badKey = await post(JSON.stringify({ token: t2, publicKey: 'short' }));
      expect([badKey.status, badKey.json().error.field]).toEqual([400, 'publicKey']);
      expect(badKey.json().error.message).toMatch(/^publicKey: is not a WireGuard public key/);
      expect((await post(JSON.stringify({ token: t2, publicKey: key }), { ...h, 'content-type': 'text/plain' })).status).toBe(415);
      const noCsrf = await post(JSON.stringify({ token: t2, publicKey: wireguardPublicKey() }), { ...h, cookie: '' });
      expect([noCsrf.status, noCsrf.json().error.code]).toEqual([403, 'csrf']);
      const forged = await post(JSON.stringify({ token: t2, publicKey: wireguardPublicKey() }), { ...h, 'x-forwarded-for': '203.0.113.9' });
      expect([forged.status, forged.json().error.code]).toEqual([400, 'forwarded_untrusted']);
      const { 'idempotency-key': _drop, ...noKey } = h;
      expect((await post(JSON.stringify({ token: t2, publicKey: wireguardPublicKey() }), noKey)).json().error.field).toBe('Idempotency-Key');
      // A key another device has: no device, and the invite stays open.
      const dup = await browser.call('enroll.complete', { token: t2, publicKey: key });
      expect([dup.status, dup.json().error.code]).toEqual([409, 'conflict']);
      expect((await c.call('invites.list', { location: 'office' })).map((i) => [i.device, i.state])).toEqual([['bob', 'open']]);

      // MFA: the authenticator first; a wrong code makes nothing; the right one makes the device.
      const inv3 = await c.call('invites.create', { location: 'secure', name: 'carol' });
      const t3 = tokenOf(inv3.url);
      expect((await browser.call('invite.lookup', { token: t3 })).json().mfa).toBe(true);
      const totp = (await browser.call('enroll.totp', { token: t3 })).json() as { secret: string; uri: string };
      expect(totp.uri).toMatch(/^otpauth:\/\/totp\/Bulwark:secure%2Fcarol\?/);
      expect((await browser.call('enroll.totp', { token: t3 })).json().secret).toBe(totp.secret);
      const carolKey = wireguardPublicKey();
      const noCode = await browser.call('enroll.complete', { token: t3, publicKey: carolKey });
      expect([noCode.status, noCode.json().error.field]).toEqual([400, 'code']);
      const wrong = await browser.call('enroll.complete', { token: t3, publicKey: carolKey, code: codeAt(totp.secret, Date.now() + 600_000) });
      expect([wrong.status, wrong.json().error.code]).toEqual([401, 'bad_code']);
      expect(await c.call('devices.list', { location: 'secure' })).toEqual([]);
      const now = Date.now();
      const ok = await browser.call('enroll.complete', { token: t3, publicKey: carolKey, code: codeAt(totp.secret, now) });
      expect(ok.status).toBe(200);
      const connectUrl = ok.json().connectUrl as string;
      expect(connectUrl).toMatch(/^https:\/\/vpn\.example\.test\/connect\/[A-Za-z0-9_-]{22}$/);
      const device = connectUrl.slice(connectUrl.lastIndexOf('/') + 1);
      expect((await browser.call('connect.lookup', { device })).json()).toEqual({ location: 'secure', device: 'carol', disconnectThreshold: 300 });
      // The code used to enrol does not connect (replay); the next one does.
      const replay = await browser.call('connect', { device, code: codeAt(totp.secret, now) });
      expect([replay.status, replay.json().error.code]).toEqual([401, 'code_reused']);
      const next = await browser.call('connect', { device, code: codeAt(totp.secret, now + 30_000) });
      expect(next.status).toBe(200);
      // No gateway at all: a session, but not "connected".
      expect(next.json()).toMatchObject({ connected: false, location: 'secure', device: 'carol', gateways: [] });
      expect((await c.call('sessions.list', { location: 'secure' })).map((s) => [s.device, s.startedBy])).toEqual([['carol', 'edge:e1']]);
      expect(JSON.stringify(core.store.read((tx) => tx.all('SELECT * FROM devices')))).not.toContain(totp.secret);

      // Wrong codes lock the device in Core: the 6th try is refused without being checked.
      for (let i = 0; i < 4; i++) expect((await browser.call('connect', { device, code: codeAt(totp.secret, now + 3_600_000 + i * 30_000) })).status).toBe(401);
      const locked = await browser.call('connect', { device, code: '000000' });
      expect([locked.status, locked.json().error.code]).toEqual([429, 'locked']);
      expect(locked.headers['retry-after']).toMatch(/^[0-9]+$/);
      const refused = await browser.call('connect', { device, code: codeAt(totp.secret, Date.now() + 60_000) });
      expect(refused.json().error.code).toBe('locked');
      const lockouts = await c.call('lockouts.list', {});
      expect(lockouts.map((l) => [l.kind, l.subject])).toEqual([['device', 'secure/carol']]);
      const status = await runCli(['--data-dir', srv.dataDir, 'status']);
      expect(status.stdout).toMatch(new RegExp(`^LOCKED: device secure/carol until \\S+ after 5 failures \\("bulwark lockout clear ${lockouts[0]!.id}" ends it\\)$`, 'm'));
      expect(status.stdout).toMatch(/^e1\s+up\s+ready\s+\d+\s+\d+\s+-/m);
      await c.call('lockouts.clear', { id: lockouts[0]!.id });
      const events = (await c.call('events.list', { limit: 1000 })).map((e) => e.kind);
      for (const k of ['invite.created', 'invite.opened', 'invite.used', 'invite.refused', 'invite.totp_issued', 'enroll.failed', 'mfa.failed', 'mfa.locked', 'mfa.unlocked', 'connect.confirmed']) expect(events).toContain(k);

      // For admins who run their own nginx: every edge, verified by the name all edge certificates carry.
      const nginx = await c.call('edges.nginxConfig', {});
      expect(nginx.config).toMatch(/server 127\.0\.0\.1:9443 /);
      expect(nginx.config).toContain('proxy_ssl_name edges.bulwark.internal;');
      expect(nginx.caPem).toBe(await core.services.pki.caPem());
      expect(new (await import('node:crypto')).X509Certificate(cert.certPem).subjectAltName).toContain('DNS:edges.bulwark.internal');

      // Core gone: the edge says so (503 and the page), never "invalid token".
      await srv.running.stop();
      await until('the edge to notice', async () => (await httpsCall(base, '/readyz')).status === 503, 10_000);
      const away = await browser.call('invite.lookup', { token: t2 });
      expect([away.status, away.json().error.code]).toEqual([503, 'core_unreachable']);
      const page = await httpsCall(base, '/enroll');
      expect([page.status, page.text.includes('cannot reach its control server')]).toEqual([503, true]);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });
});
