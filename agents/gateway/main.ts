// The gateway agent. In this release it reads its configuration and answers health checks;
// the WireGuard data plane comes with the gateway issue.
import { GatewayAgentConfig, VERSION } from '../../src-main/contract/index.js';
import { loadConfig, log, runAgent, serveHealth } from '../shared/agent.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(GatewayAgentConfig);
  const startedAt = new Date().toISOString();
  const stop = await serveHealth(config.health.address, config.health.port, () => ({
    ok: true,
    role: 'gateway',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
  }));
  log('gateway agent started', { version: VERSION, config: path, locations: config.locations.map((l) => l.name) });
  return stop;
});
