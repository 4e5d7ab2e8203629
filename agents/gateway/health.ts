// The gateway's data-plane health: every location's interface up and listening with its peers
// applied. Checked every 2 s; served on loopback (/healthz, for Core and the operator) and, for
// lb-mode locations, per location on the LAN for the load balancers. After each location's check
// the caller's hook runs (the VRRP side writes the file keepalived tracks there).
import type { AgentHealth, GatewayAgentConfig, GatewayLocationConfig } from '../../src-main/contract/index.js';
import { log, serveDataPlaneHealth, serveHealth } from '../shared/agent.js';
import { policyOf } from './context.js';
import type { GatewayState } from './state.js';
import { interfaceHealth, type WgMode } from './wireguard.js';

/** A timer held up this long (the host or the process was frozen) is a pause worth telling. */
export const PAUSE_MS = 4500;

export class DataPlaneHealth {
  private current: string[];
  /** Each location's problem (null: healthy), for the load balancers' checks. */
  private readonly byLocation: Map<string, string | null>;

  constructor(
    private readonly locations: readonly GatewayLocationConfig[],
    /** Why a location did not come up at start: it stays that location's problem. */
    private readonly startFailures: ReadonlyMap<string, string>,
    private readonly afterLocation: (loc: GatewayLocationConfig, problem: string | null) => Promise<void>,
  ) {
    this.current = [...startFailures].map(([name, why]) => `${name}: ${why}`);
    this.byLocation = new Map(locations.map((l) => [l.name, startFailures.get(l.name) ?? 'not checked yet']));
  }

  /** "<location>: <problem>" for each unhealthy location; empty when the data plane is healthy. */
  get problems(): string[] {
    return this.current;
  }

  get ok(): boolean {
    return this.current.length === 0;
  }

  problemOf(location: string): string | null {
    return this.byLocation.has(location) ? (this.byLocation.get(location) ?? null) : 'not served by this gateway';
  }

  /** A problem beside the locations' own, until the next check. */
  note(problem: string): void {
    this.current = [...this.current, problem];
  }

  async check(): Promise<void> {
    const found: string[] = [];
    for (const loc of this.locations) {
      const p = this.startFailures.get(loc.name) ?? (await interfaceHealth(loc));
      if (p) found.push(`${loc.name}: ${p}`);
      this.byLocation.set(loc.name, p ?? null);
      await this.afterLocation(loc, p ?? null);
    }
    if (found.join('\n') !== this.current.join('\n')) log(found.length ? 'data plane unhealthy' : 'data plane healthy', { problems: found });
    this.current = found;
  }

  /**
   * Checks every intervalMs. When the timer itself was held up by PAUSE_MS or more (SIGSTOP, a
   * paused VM), `onPaused` hears how long, after that check. Returns the stop.
   */
  every(intervalMs: number, onPaused: (pausedMs: number) => void): () => void {
    let lastTick = Date.now();
    const timer = setInterval(() => {
      const paused = Date.now() - lastTick;
      lastTick = Date.now();
      void this.check().then(() => {
        if (paused >= PAUSE_MS) onPaused(paused);
      });
    }, intervalMs);
    return () => clearInterval(timer);
  }
}

/** The data plane as /healthz shows it: each location's interface, peers, revision and MFA state. */
export function wireguardView(locations: readonly GatewayLocationConfig[], state: GatewayState, mode: WgMode | null, statsReadMs: ReadonlyMap<string, number>): NonNullable<AgentHealth['wireguard']> {
  return {
    mode,
    locations: locations.map((l) => ({
      name: l.name,
      interface: l.interface,
      peers: state.locations.get(l.name)?.peers.size ?? 0,
      revision: state.locations.get(l.name)?.revision ?? 0,
      mfa: policyOf(state, l).mfa,
      expiredUnacknowledged: state.locations.get(l.name)?.expired.size ?? 0,
      statsReadMs: statsReadMs.get(l.name),
    })),
  };
}

/**
 * Serves /healthz on loopback and, with lb-mode locations, the per-location health on the LAN.
 * The LAN one failing to listen is a problem, not a failure: the tunnels still work, and
 * without it the load balancer takes this gateway out, which is the safe side.
 */
export async function serveGatewayHealth(config: Pick<GatewayAgentConfig, 'host' | 'health' | 'lanHealth'>, health: DataPlaneHealth, report: () => AgentHealth): Promise<() => Promise<void>> {
  const stopHealth = await serveHealth(config.health.address, config.health.port, report);
  let stopLanHealth = async () => undefined as void;
  if (config.lanHealth) {
    try {
      stopLanHealth = await serveDataPlaneHealth(config.lanHealth.address, config.lanHealth.port, config.host, config.lanHealth.locations, (name) => health.problemOf(name));
    } catch (err) {
      health.note(`load balancer health checks: ${(err as Error).message}`);
      log('cannot serve the data-plane health for the load balancer', { error: (err as Error).message });
    }
  }
  return async () => {
    await stopLanHealth();
    await stopHealth();
  };
}
