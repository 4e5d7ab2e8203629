// The edge agent: a stateless public HTTP service. In this release it reads its configuration
// and answers health checks; enrollment comes with the edge issue.
import { EdgeAgentConfig, LINK_PROTOCOL, VERSION } from '../../src-main/contract/index.js';
import { loadConfig, log, renewedTls, runAgent, serveHealth } from '../shared/agent.js';
import { startControl } from '../shared/control.js';

runAgent(async () => {
  const { config, sha256, path } = loadConfig(EdgeAgentConfig);
  const startedAt = new Date().toISOString();
  const stopHealth = await serveHealth(config.health.address, config.health.port, () => ({
    ok: true,
    role: 'edge',
    host: config.host,
    version: VERSION,
    configSha256: sha256,
    startedAt,
    problems: [],
  }));
  const stopControl = await startControl({
    ...config.control,
    renewed: renewedTls('edge'),
    subject: `edge:${config.host}`,
    hello: () => ({ type: 'hello', protocol: LINK_PROTOCOL, role: 'edge', host: config.host, version: VERSION, configSha256: sha256, startedAt }),
    healthy: () => true,
  });
  const stop = async () => {
    await stopControl();
    await stopHealth();
  };
  log('edge agent started', { version: VERSION, config: path });
  return stop;
});
