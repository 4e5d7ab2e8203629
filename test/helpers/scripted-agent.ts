// A scripted agent: the agent's end of the control link (real mutual TLS and WebSocket, a
// certificate from Core's CA) that records what Core sends and sends what the test says. It
// stands in for an agent where a test needs a state that a real one would not hold still
// (two holders of a floating IP, which the real agent clears within seconds); the lab tests
// run the real agents.
import { createServer, type Server } from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import { CoreMessage, LINK_PROTOCOL, LINK_SUBPROTOCOL, type AgentMessage, type AgentRole } from '../../src-main/contract/index.js';
import { CONTROL_PORT } from '../../src-main/contract/host-layout.js';
import type { InProcessServer } from './server.js';

export interface Scripted {
  got: CoreMessage[];
  send(m: AgentMessage): void;
  /** What every heartbeat (every 100 ms unless told otherwise) carries besides seq and healthy. */
  beat: Partial<Extract<AgentMessage, { type: 'heartbeat' }>>;
  close(): Promise<void>;
}

/** What a scripted agent listens with: Core's CA and the agent's own certificate, as an apply installs them. */
export interface ScriptedIdentity {
  name: string;
  address: string;
  role: AgentRole;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Creates the host `name` at `address` in Core, marks it provisioned, and issues its `role` agent's certificate. */
export async function scriptedIdentity(srv: InProcessServer, name: string, address: string, role: AgentRole): Promise<ScriptedIdentity> {
  const core = srv.running.core;
  await srv.client.call('hosts.create', { name, ssh: `root@${address}` });
  const id = core.store.read((tx) => tx.get<{ id: number }>('SELECT id FROM hosts WHERE name = ?', name))!.id;
  core.store.write((tx) => tx.run('UPDATE hosts SET provisioned_at = ? WHERE id = ?', new Date().toISOString(), id));
  const cert = await core.services.pki.agentCert(role, { id, name, address });
  return { name, address, role, caPem: await core.services.pki.caPem(), certPem: cert.certPem, keyPem: cert.keyPem };
}

/** A provisioned host `name` at `address` (a loopback address of its own) whose `role` agent is scripted. */
export async function scriptedAgent(srv: InProcessServer, name: string, address: string, role: AgentRole = 'gateway', beatMs = 100): Promise<Scripted> {
  return listenScripted(await scriptedIdentity(srv, name, address, role), beatMs);
}

/** The agent's end of the link for an identity: listens on the role's control port at its address. */
export async function listenScripted({ name, address, role, caPem, certPem, keyPem }: ScriptedIdentity, beatMs: number): Promise<Scripted> {
  const server: Server = createServer({ ca: caPem, cert: certPem, key: keyPem, requestCert: true, rejectUnauthorized: true });
  const wss = new WebSocketServer({ server, handleProtocols: () => LINK_SUBPROTOCOL });
  const got: CoreMessage[] = [];
  let current: WebSocket | null = null;
  const scripted: Scripted = {
    got,
    beat: {},
    send: (m) => current?.send(JSON.stringify(m)),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
  wss.on('connection', (ws) => {
    current = ws;
    ws.send(JSON.stringify({ type: 'hello', protocol: LINK_PROTOCOL, role, host: name, version: 'scripted', configSha256: 'x', startedAt: new Date().toISOString() } satisfies AgentMessage));
    let seq = 0;
    const beat = setInterval(() => ws.send(JSON.stringify({ healthy: true, ...scripted.beat, type: 'heartbeat', seq: ++seq } satisfies AgentMessage)), beatMs);
    ws.on('close', () => clearInterval(beat));
    ws.on('message', (d) => got.push(CoreMessage.parse(JSON.parse(String(d)))));
  });
  await new Promise<void>((r) => server.listen(CONTROL_PORT[role], address, () => r()));
  return scripted;
}

/**
 * A vrrp location with scripted gateways (returned by host), each at a loopback address of its own: the location
 * `name` on `network`, its gateways (host → address) on LAN "lo" (127.0.0.0/8), the floating IP
 * `vip` (an address of 127.0.0.0/8 no gateway has), and clients dialling it on port 51820.
 */
export async function scriptedVrrpLocation<H extends string>(srv: InProcessServer, name: string, network: string, vip: string, gateways: Record<H, string>): Promise<Record<H, Scripted>> {
  await srv.client.call('locations.create', { name, network, endpoint: `${vip}:51820` });
  const agents = {} as Record<H, Scripted>;
  try {
    for (const [host, address] of Object.entries(gateways) as [H, string][]) {
      agents[host] = await scriptedAgent(srv, host, address);
      await srv.client.call('gateways.add', { location: name, host });
      await srv.client.call('hosts.update', { name: host, lan: { interface: 'lo', address: `${address}/8` } });
    }
    await srv.client.call('locations.setFailover', { name, mode: 'vrrp', vip: `${vip}/8` });
    return agents;
  } catch (err) {
    for (const a of Object.values<Scripted>(agents)) await a.close();
    throw err;
  }
}
