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
  /** "<location>: <problem>" for each location the last check found unhealthy. */
  private located: string[];
  /** Each location's problem (null: healthy), for the load balancers' checks. */
  private readonly byLocation: Map<string, string | null>;
  /** Problems beside the locations' own, by owner, that hold until their owner clears them. */
  private readonly standing = new Map<string, string>();

  constructor(
    private readonly locations: readonly GatewayLocationConfig[],
    /** Why a location did not come up at start: it stays that location's problem. */
    private readonly startFailures: ReadonlyMap<string, string>,
    private readonly afterLocation: (loc: GatewayLocationConfig, problem: string | null) => Promise<void>,
  ) {
    this.located = [...startFailures].map(([name, why]) => `${name}: ${why}`);
    this.byLocation = new Map(locations.map((l) => [l.name, startFailures.get(l.name) ?? 'not checked yet']));
  }

  /** Every problem, the locations' first; empty when the data plane is healthy. */
  get problems(): string[] {
    return [...this.located, ...this.standing.values()];
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  problemOf(location: string): string | null {
    return this.byLocation.has(location) ? (this.byLocation.get(location) ?? null) : 'not served by this gateway';
  }

  /**
   * Sets (or, with null, clears) a problem beside the locations' own, such as a listener that
   * could not start. Checks leave it alone: it holds until its owner clears it.
   */
  setStanding(owner: string, problem: string | null): void {
    if (problem === null) this.standing.delete(owner);
    else this.standing.set(owner, problem);
  }

  async check(): Promise<void> {
    const found: string[] = [];
    for (const loc of this.locations) {
      const p = this.startFailures.get(loc.name) ?? (await interfaceHealth(loc));
      if (p) found.push(`${loc.name}: ${p}`);
      this.byLocation.set(loc.name, p ?? null);
      await this.afterLocation(loc, p ?? null);
    }
    if (found.join('\n') !== this.located.join('\n')) log(found.length ? 'data plane unhealthy' : 'data plane healthy', { problems: found });
    this.located = found;
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

/** How often a LAN health listener that could not start tries again. */
export const LAN_HEALTH_RETRY_MS = 10_000;

/**
 * Serves /healthz on loopback and, with lb-mode locations, the per-location health on the LAN.
 * The LAN one failing to listen is a standing problem, not a failure: the tunnels still work,
 * and without it the load balancer takes this gateway out, which is the safe side. It tries
 * again every `retryMs` and clears the problem once it listens (the port was freed, the address
 * came back).
 */
export async function serveGatewayHealth(
  config: Pick<GatewayAgentConfig, 'host' | 'health' | 'lanHealth'>,
  health: DataPlaneHealth,
  report: () => AgentHealth,
  retryMs = LAN_HEALTH_RETRY_MS,
): Promise<() => Promise<void>> {
  const stopHealth = await serveHealth(config.health.address, config.health.port, report);
  let stopLanHealth = async () => undefined as void;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const lan = config.lanHealth;
  const listenLan = async (): Promise<void> => {
    if (!lan) return;
    try {
      const stop = await serveDataPlaneHealth(lan.address, lan.port, config.host, lan.locations, (name) => health.problemOf(name));
      if (stopped) return void (await stop());
      stopLanHealth = stop;
      if (retry) log('serving the data-plane health for the load balancer', { address: lan.address, port: lan.port });
      retry = undefined;
      health.setStanding('lan-health', null);
    } catch (err) {
      if (!retry) log('cannot serve the data-plane health for the load balancer; trying again', { error: (err as Error).message, retryMs });
      health.setStanding('lan-health', `load balancer health checks: ${(err as Error).message}`);
      if (!stopped) retry = setTimeout(() => void listenLan(), retryMs);
    }
  };
  await listenLan();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await stopLanHealth();
    await stopHealth();
  };
}
