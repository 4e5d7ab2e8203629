// The edge agent: the stateless public service. It serves the enrollment and connect pages and
// relays their calls to Core over the control link that Core dialled (public-server.ts,
// core-relay.ts); what every edge must share (the CSRF key, the public name) comes from Core.
// The loopback health endpoint is provisioning's; /healthz and /readyz on the public port are
// the edge balancer's.
import assets from 'bulwark:edge-web';
import { EdgeAgentConfig, LINK_PROTOCOL, VERSION, type AgentMessage, type CoreMessage } from '../../src-main/contract/index.js';
import { loadConfig, log, renewedTls, runAgent, serveHealth } from '../shared/agent.js';
import { startControl, tlsFiles } from '../shared/control.js';
import { CoreRelay } from './core-relay.js';
import { startPublicServer } from './public-server.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(EdgeAgentConfig);
  const startedAt = new Date().toISOString();
  const relay = new CoreRelay();
  const files = { ca: config.control.ca, cert: config.control.cert, key: config.control.key, renewed: renewedTls('edge') };
  const publicServer = await startPublicServer({
    address: config.public.address,
    port: config.public.port,
    tls: () => {
      const f = tlsFiles(files);
      return { cert: f.cert, key: f.key };
    },
    trustedProxies: config.trustedProxies,
    relay,
    assets,
    log,
  });
  const stopHealth = await serveHealth(config.health.address, config.health.port, () => {
    const why = relay.notReady();
    return {
      ok: true,
      role: 'edge',
      host: config.host,
      version: VERSION,
      configSha256: sha256,
      startedAt,
      problems: why ? [`not ready for public requests: ${why}`] : [],
    };
  });
  const handle = async (msg: CoreMessage): Promise<AgentMessage | null> => {
    if (msg.type === 'response') relay.response(msg);
    else if (msg.type === 'edgeSettings') {
      const first = relay.notReady() !== null;
      relay.setSettings(msg);
      if (first) log('ready for public requests', { publicName: msg.publicName });
    } else return { type: 'refused', reason: `an edge does not take ${msg.type} messages` };
    return null;
  };
  const stopControl = await startControl({
    ...config.control,
    renewed: renewedTls('edge'),
    subject: `edge:${config.host}`,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'edge', host: config.host, version: VERSION, configSha256: sha256, startedAt }),
    healthy: () => true,
    edge: () => ({ ready: relay.notReady() === null, reason: relay.notReady(), served: relay.served, failed: relay.failed, inFlight: relay.inFlight() }),
    onLink: (link) => relay.setLink(link),
    handle,
    onTlsChanged: () => publicServer.reloadTls(),
  });
  log('edge agent started', { version: VERSION, config: path, public: `${config.public.address}:${config.public.port}` });
  return async () => {
    await stopControl();
    await publicServer.stop();
    await stopHealth();
  };
});
