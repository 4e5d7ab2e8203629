// The control link between a real Core and the real agent bundle, over mutual TLS on this
// machine's loopback: up with heartbeats, down when the agent stops, up again; certificates
// from another CA, expired or revoked are refused by Core with the reason; the agent refuses a
// client without a certificate, from another CA, or that is not Core; bad messages on either
// side are counted and refused while the link stays.
// (The host is marked provisioned directly in the store: SSH provisioning is covered by the lab
// tests; here the subject is the link.)
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { LINK_PROTOCOL, LINK_SUBPROTOCOL, type LinkState } from '../../src-main/contract/index.js';
import { createCa, issueCert } from '../../src-main/core/pki/ca.js';
import { SecretBox } from '../../src-main/core/keys/secret-box.js';
import { CONTROL_PORT } from '../../src-main/contract/host-layout.js';
import { freePort, startAgent, until, writeAgentFiles } from '../helpers/agent.js';
import { startInProcess, tempDir, type InProcessServer } from '../helpers/server.js';

const PORT = CONTROL_PORT.gateway;

/** Location office with gateway h1 at 127.0.0.1, marked provisioned (so Core dials it); returns its host id. */
async function gatewayH1(srv: InProcessServer): Promise<number> {
  const core = srv.running.core;
  await srv.client.call('locations.create', { name: 'office', network: '10.90.0.0/24', endpoint: 'vpn.example.com' });
  await srv.client.call('hosts.create', { name: 'h1', ssh: 'root@127.0.0.1' });
  const hostId = core.store.read((tx) => tx.get<{ id: number }>("SELECT id FROM hosts WHERE name = 'h1'"))!.id;
  core.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = ? WHERE id = ?', new Date().toISOString(), hostId));
  await srv.client.call('gateways.add', { location: 'office', host: 'h1' });
  return hostId;
}

describe('control link', () => {
  test('mutual TLS, heartbeats, down and up again, refusals with reasons, bad messages', async () => {
    await using srv = await startInProcess({ link: { heartbeatMs: 100, downAfterMs: 700, minBackoffMs: 50, maxBackoffMs: 300 } });
    using tmp = tempDir();
    const core = srv.running.core;
    const pki = core.services.pki;
    const hostId = await gatewayH1(srv);
    const link = async () => (await srv.client.call('links.list', {})).find((l) => l.agent === 'gateway:h1');
    const waitFor = (what: string, ok: (l: LinkState) => boolean, ms = 10_000) => until(what, async () => {
      const l = await link();
      return l && ok(l) ? l : null;
    }, ms);

    // No agent yet: Core keeps dialling and says why it is down.
    expect((await waitFor('Core to find nothing listening', (l) => l.state === 'down')).reason).toMatch(/nothing listens on the control port/);
    const caPem = await pki.caPem();
    const healthPort = await freePort();
    const good = await pki.agentCert('gateway', { id: hostId, name: 'h1', address: '127.0.0.1' });
    const files = (cert: { certPem: string; keyPem: string }, ca = caPem) => writeAgentFiles(tmp.dir, { role: 'gateway', host: 'h1', healthPort, controlPort: PORT, tls: { ca, cert: cert.certPem, key: cert.keyPem } });

    // The link: up, healthy, with the agent's version.
    let agent = startAgent(tmp.dir, files(good));
    try {
      const up = await waitFor('the link to come up', (l) => l.state === 'up' && l.healthy === true);
      expect(up).toMatchObject({ role: 'gateway', host: 'h1', agentVersion: '0.1.0', reason: null, badMessages: 0 });

      // Bad input on the agent's side: Core's own certificate, then messages that are not Core's.
      const coreCert = await pki.coreCert();
      const raw = new WebSocket(`wss://127.0.0.1:${PORT}/`, LINK_SUBPROTOCOL, { ca: caPem, cert: coreCert.certPem, key: coreCert.keyPem, ...({ checkServerIdentity: () => undefined } as object) });
      const replies: string[] = [];
      raw.on('message', (d) => replies.push(String(d)));
      await new Promise((r, j) => raw.once('open', r).once('error', j));
      raw.send('not json');
      raw.send(JSON.stringify({ type: 'welcome', protocol: LINK_PROTOCOL, heartbeatMs: 5 }));
      raw.send(JSON.stringify({ type: 'shutdown-everything' }));
      raw.send(JSON.stringify({ type: 'ping', seq: 1 }));
      await until('two refusals and a heartbeat', () => replies.filter((r) => r.includes('"refused"')).length >= 3 && replies.some((r) => r.includes('"heartbeat"')));
      expect(replies.filter((r) => r.includes('"refused"'))).toHaveLength(3); // heartbeatMs 5 is below the schema's minimum
      raw.close();
      expect(agent.proc.exitCode).toBeNull();
      expect(agent.output()).toMatch(/control link: refused a message/);

      // The agent refuses whoever is not Core: no certificate, another CA, an agent's certificate.
      const handshake = (opts: { cert?: string; key?: string }) =>
        new Promise<string>((resolve) => {
          const s = connect({ host: '127.0.0.1', port: PORT, ca: caPem, checkServerIdentity: () => undefined, ...opts });
          s.on('secureConnect', () => s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${LINK_SUBPROTOCOL}\r\n\r\n`));
          let got = '';
          s.on('data', (d) => (got += d));
          s.on('error', (e) => resolve(`error: ${e.message}`));
          s.on('close', () => resolve(got.split('\r\n')[0] || 'closed'));
        });
      expect(await handshake({})).toMatch(/error: .*certificate required|closed|error/i);
      const foreign = await createCa(new Date(), 'someone else');
      const foreignClient = await issueCert(foreign, { commonName: 'core', usage: 'client', dnsNames: [], ipAddresses: [], notBefore: new Date(Date.now() - 60e3), notAfter: new Date(Date.now() + 3600e3) });
      expect(await handshake({ cert: foreignClient.certPem, key: foreignClient.keyPem })).toMatch(/error|closed/);
      // An agent's own certificate is for serving, not for dialling: TLS refuses it as a client.
      expect(await handshake({ cert: good.certPem, key: good.keyPem })).toMatch(/error|closed/);
      // A client certificate from Core's CA that is not Core's: refused by name.
      const intruder = await issueCert(await pki.ca(), { commonName: 'intruder', usage: 'client', dnsNames: [], ipAddresses: [], notBefore: new Date(Date.now() - 60e3), notAfter: new Date(Date.now() + 3600e3) });
      expect(await handshake({ cert: intruder.certPem, key: intruder.keyPem })).toBe('HTTP/1.1 403 Forbidden');
      expect((await link())?.state).toBe('up');

      // The agent stops: down after missed heartbeats; it comes back: up again.
      await agent.stop();
      const down = await waitFor('the link to go down', (l) => l.state === 'down');
      expect(down.reason).toMatch(/nothing listens on the control port|the link closed|no heartbeat/);
      agent = startAgent(tmp.dir, files(good));
      await waitFor('the link to come back', (l) => l.state === 'up');

      // Frozen agent (SIGSTOP): no heartbeat, so down after downAfterMs, though TCP stays open.
      agent.proc.kill('SIGSTOP');
      expect((await waitFor('a frozen agent to be marked down', (l) => l.state === 'down')).reason).toMatch(/no heartbeat for 700 ms|handshake|timed out|closed/);
      agent.proc.kill('SIGCONT');
      await waitFor('the thawed agent to come back', (l) => l.state === 'up');
      await agent.stop();

      // An agent whose certificate is from another CA.
      const foreignServer = await issueCert(foreign, { commonName: 'gateway:h1', usage: 'server', dnsNames: ['h1'], ipAddresses: ['127.0.0.1'], notBefore: new Date(Date.now() - 60e3), notAfter: new Date(Date.now() + 3600e3) });
      agent = startAgent(tmp.dir, files(foreignServer, foreign.certPem));
      expect((await waitFor('a foreign certificate to be refused', (l) => l.state === 'refused')).reason).toMatch(/not from this Core's CA/);
      await agent.stop();

      // An expired certificate from Core's own CA.
      const expired = await issueCert(await pki.ca(), { commonName: 'gateway:h1', usage: 'server', dnsNames: ['h1'], ipAddresses: ['127.0.0.1'], notBefore: new Date(Date.now() - 7200e3), notAfter: new Date(Date.now() - 3600e3) });
      agent = startAgent(tmp.dir, files(expired));
      expect((await waitFor('an expired certificate to be refused', (l) => l.state === 'refused' && /expired/.test(l.reason ?? ''))).reason).toMatch(/has expired; an apply installs a new one/);
      await agent.stop();

      // A revoked certificate: the one that worked, revoked (as removing the role would).
      core.store.write((tx) => pki.revokeAgent(tx, 'gateway', 'h1', 'test: compromised host'));
      agent = startAgent(tmp.dir, files(good));
      expect((await waitFor('a revoked certificate to be refused', (l) => l.state === 'refused' && /revoked/.test(l.reason ?? ''))).reason).toMatch(/was revoked at \S+ \(test: compromised host\)/);
      await agent.stop();
      const linkEvents = (await srv.client.call('events.list', { limit: 1000 })).filter((e) => e.subject === 'agent:gateway:h1');
      // Core saw each of them itself: none carries the actor of the call that made the link.
      expect(new Set(linkEvents.map((e) => e.actor))).toEqual(new Set(['core']));
      const kinds = linkEvents.map((e) => e.kind);
      expect(kinds).toEqual(expect.arrayContaining(['link.up', 'link.down', 'link.refused']));
      // Each change of state is recorded once: the agent's first health report is not a second
      // link.up, and a link that stays down while Core redials is not a row per dial.
      expect(kinds.filter((k, i) => i > 0 && k === kinds[i - 1] && k !== 'link.refused'), kinds.join(' ')).toEqual([]);

      // Bad input on Core's side: an agent (with a valid, new certificate) that sends junk.
      const fresh = await pki.agentCert('gateway', { id: hostId, name: 'h1', address: '127.0.0.1' });
      const server = createServer({ ca: caPem, cert: fresh.certPem, key: fresh.keyPem, requestCert: true, rejectUnauthorized: true });
      const wss = new WebSocketServer({ server, handleProtocols: () => LINK_SUBPROTOCOL });
      wss.on('connection', (ws) => {
        ws.send(JSON.stringify({ type: 'hello', protocol: LINK_PROTOCOL, role: 'gateway', host: 'h1', version: 'fake', configSha256: 'x', startedAt: new Date().toISOString() }));
        ws.send('}{');
        ws.send(JSON.stringify({ type: 'heartbeat', seq: 'one', healthy: true }));
        const t = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat', seq: 1, healthy: false })), 100);
        ws.on('close', () => clearInterval(t));
      });
      await new Promise<void>((r) => server.listen(PORT, '127.0.0.1', () => r()));
      try {
        const l = await waitFor('the junk-sending agent to be up with bad messages counted', (x) => x.state === 'up' && x.badMessages >= 2 && x.healthy === false);
        expect(l.agentVersion).toBe('fake');
      } finally {
        for (const c of wss.clients) c.terminate();
        wss.close();
        await new Promise((r) => server.close(r));
      }
    } finally {
      await agent.stop();
    }
  }, 60_000);

  test('a certificate due for renewal is renewed over the link: the link stays up, new handshakes use it, a restart keeps it', async () => {
    await using srv = await startInProcess({ link: { heartbeatMs: 100, downAfterMs: 1500, minBackoffMs: 50, maxBackoffMs: 300 } });
    using tmp = tempDir();
    const core = srv.running.core;
    const pki = core.services.pki;
    const hostId = await gatewayH1(srv);
    // The agent's certificate has 10 days left (as if provisioned 80 days ago): Core issued it,
    // so it is stored as Core stores certificates, its key sealed with the data dir's key.
    const now = Date.now();
    const due = await issueCert(await pki.ca(), { commonName: 'gateway:h1', usage: 'server', dnsNames: ['h1'], ipAddresses: ['127.0.0.1'], notBefore: new Date(now - 80 * 86400e3), notAfter: new Date(now + 10 * 86400e3) });
    const box = new SecretBox(readFileSync(join(srv.dataDir, 'secret.key')));
    core.store.write((tx) =>
      tx.run(
        'INSERT INTO certificates (serial, subject, host_id, role, cert_pem, key_enc, not_before, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        due.serial, 'gateway:h1', hostId, 'gateway', due.certPem, box.seal(due.keyPem, 'certificate-private-key'), due.notBefore.toISOString(), due.notAfter.toISOString(), new Date(now - 80 * 86400e3).toISOString(),
      ),
    );
    const caPem = await pki.caPem();
    const config = writeAgentFiles(tmp.dir, { role: 'gateway', host: 'h1', healthPort: await freePort(), controlPort: PORT, tls: { ca: caPem, cert: due.certPem, key: due.keyPem } });
    const link = async () => (await srv.client.call('links.list', {})).find((l) => l.agent === 'gateway:h1');
    let agent = startAgent(tmp.dir, config);
    try {
      const up = await until('the link up with the old certificate', async () => ((await link())?.state === 'up' ? link() : null));
      expect(up!.certificate).toEqual({ serial: due.serial, notAfter: due.notAfter.toISOString().replace(/\.\d{3}Z$/, '.000Z') });
      const renewed = await until('the renewal', async () => (await srv.client.call('events.list', { limit: 1000 })).find((e) => e.kind === 'certificate.renewed'));
      const serial = String(renewed.details.serial);
      expect(serial).not.toBe(due.serial);
      expect(Date.parse(String(renewed.details.notAfter)) - now).toBeGreaterThan(85 * 86400e3);
      expect(statSync(join(tmp.dir, 'state', 'tls', 'gateway.key')).mode & 0o777).toBe(0o600);
      // Without a dropped link: the same connection, still on the old certificate.
      expect(await link()).toMatchObject({ state: 'up', certificate: { serial: due.serial } });
      const linkKinds = (await srv.client.call('events.list', { limit: 1000 })).filter((e) => e.subject === 'agent:gateway:h1').map((e) => e.kind);
      expect(linkKinds.slice(linkKinds.indexOf('link.up')).filter((k) => k === 'link.down')).toEqual([]);
      // The next handshake presents the renewed certificate, and nothing is renewed again.
      core.services.links.stop();
      core.services.links.start();
      await until('a new link on the renewed certificate', async () => (await link())?.certificate?.serial === serial);
      // A restarted agent serves the renewed one too (its config still names the old files).
      await agent.stop();
      agent = startAgent(tmp.dir, config);
      await until('the restarted agent on the renewed certificate', async () => {
        const l = await link();
        return l?.state === 'up' && l.certificate?.serial === serial;
      });
      expect((await srv.client.call('events.list', { limit: 1000 })).filter((e) => e.kind === 'certificate.renewed')).toHaveLength(1);

      // The agent takes a certificate only from its CA, for itself, with its key, and newer.
      core.services.links.stop(); // (one Core at a time: Core's redial would replace this test's link)
      const coreCert = await pki.coreCert();
      const raw = new WebSocket(`wss://127.0.0.1:${PORT}/`, LINK_SUBPROTOCOL, { ca: caPem, cert: coreCert.certPem, key: coreCert.keyPem, ...({ checkServerIdentity: () => undefined } as object) });
      const replies: string[] = [];
      raw.on('message', (d) => replies.push(String(d)));
      await new Promise((r, j) => raw.once('open', r).once('error', j));
      const foreign = await createCa(new Date(), 'someone else');
      const later = { notBefore: new Date(now - 60e3), notAfter: new Date(now + 200 * 86400e3) };
      const offers = [
        await issueCert(foreign, { commonName: 'gateway:h1', usage: 'server', dnsNames: ['h1'], ipAddresses: [], ...later }),
        await issueCert(await pki.ca(), { commonName: 'gateway:other', usage: 'server', dnsNames: ['other'], ipAddresses: [], ...later }),
        { ...(await issueCert(await pki.ca(), { commonName: 'gateway:h1', usage: 'server', dnsNames: ['h1'], ipAddresses: [], ...later })), keyPem: coreCert.keyPem },
        due,
      ];
      for (const o of offers) raw.send(JSON.stringify({ type: 'certificate', certPem: o.certPem, keyPem: o.keyPem }));
      await until('four refusals', () => replies.filter((r) => r.includes('"refused"')).length === 4);
      expect(replies.filter((r) => r.includes('"refused"')).map((r) => (JSON.parse(r) as { reason: string }).reason)).toEqual([
        'certificate: the certificate is not signed by the CA this agent trusts',
        'certificate: the certificate is for gateway:other, not gateway:h1',
        'certificate: the key does not belong to the certificate',
        'certificate: the certificate is not newer than the one in use',
      ]);
      raw.close();
      expect(readFileSync(join(tmp.dir, 'state', 'tls', 'gateway.pem'), 'utf8')).toBe((await pki.agentCert('gateway', { id: hostId, name: 'h1', address: '127.0.0.1' })).certPem);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
