// What each installed agent's config file would be if the hosts were applied now, as the SHA-256
// the agent reports on its link: a different digest means the host runs an older config (a change
// waits for "bulwark provision apply"). Read-only; the topology compares it with what agents say.
import { agentSubject } from '../core/pki/pki-service.js';
import type { HostRow } from '../core/hosts/host-service.js';
import type { Tx } from '../store/db.js';
import { agentConfigText, agentRolesOf, sha256Hex } from './plan/desired-state.js';
import { modelOf } from './scope.js';

/** Agent subject ("gateway:gw1") → the SHA-256 of the config it should run, for every installed host. */
export function expectedAgentConfigs(tx: Tx): Map<string, string> {
  const out = new Map<string, string>();
  for (const row of tx.all<HostRow>('SELECT * FROM hosts WHERE provisioned_at IS NOT NULL ORDER BY name')) {
    const { model } = modelOf(tx, row);
    for (const role of agentRolesOf(model)) out.set(agentSubject(role, row.name), sha256Hex(agentConfigText(model, role)));
  }
  return out;
}
