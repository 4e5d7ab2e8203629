// The gateway agent. In this release it reads its configuration and answers health checks;
// the WireGuard data plane comes with the gateway issue.
import { GatewayAgentConfig, LINK_PROTOCOL, VERSION } from '../../src-main/contract/index.js';
import { loadConfig, log, runAgent, serveHealth } from '../shared/agent.js';
import { startControl } from '../shared/control.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(GatewayAgentConfig);
  const startedAt = new Date().toISOString();
  const stopHealth = await serveHealth(config.health.address, config.health.port, () => ({
    ok: true,
    role: 'gateway',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
  }));
  const stopControl = await startControl({
    ...config.control,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'gateway', host: config.host, version: VERSION, configSha256: sha256, startedAt }),
    healthy: () => true,
  });
  const stop = async () => {
    await stopControl();
    await stopHealth();
  };
  log('gateway agent started', { version: VERSION, config: path, locations: config.locations.map((l) => l.name) });
  return stop;
});
