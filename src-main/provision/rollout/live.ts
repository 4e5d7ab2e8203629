// What a rolling apply needs from Core's live view of the hosts, as a port: provision/ cannot
// import the link or the status rooms (they sit beside it), so system/ implements it with them.
import type { LiveGateway } from './rollout-plan.js';

export interface RolloutLive {
  /** A location's gateways as Core sees them now. */
  gateways(location: string): LiveGateway[];
  /**
   * lb: asks the location's load balancer to take the gateway out of rotation (drained) or end
   * that. Resolves once the balancer's heartbeat confirms it: out when drained; back in
   * rotation when not (or held out, with manual failback, which resolves at once). Throws,
   * saying why, when the balancer refuses or does not confirm within the timeout.
   */
  drain(location: string, host: string, drained: boolean, timeoutMs: number): Promise<string>;
  /**
   * Waits until Core sees the host linked and healthy again, and (vrrp) in a role with exactly
   * one holder of the location's floating IP. Throws what is still missing after the timeout.
   */
  settle(location: string, host: string, timeoutMs: number): Promise<string>;
}
