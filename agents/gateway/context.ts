// What the gateway agent's parts share: the locations it serves, what it applied (the state on
// disk), the one queue every change runs through, the MFA idle trackers, where the clients were
// last seen, and the link to Core while there is one. main.ts builds one context and gives each
// part only the pieces it names; no part keeps another part's state.
import type { AgentMessage, GatewayLocationConfig } from '../../src-main/contract/index.js';
import type { ControlLink } from '../shared/control.js';
import type { EndpointBook } from './endpoints.js';
import type { IdleTracker } from './idle.js';
import type { SerialQueue } from './serial.js';
import type { GatewayState, Policy } from './state.js';

/** Core's link, or none while Core is away: what is sent meanwhile is dropped (the counters and the state cover it). */
export class CoreLink {
  current: ControlLink | null = null;

  send(m: AgentMessage): void {
    this.current?.send(m);
  }

  /** A heartbeat now, if linked (see ControlLink.beat). */
  beat(): void {
    this.current?.beat();
  }
}

export interface GatewayContext {
  /** The locations in the config file, by name, in its order. */
  readonly locations: ReadonlyMap<string, GatewayLocationConfig>;
  readonly state: GatewayState;
  readonly serial: SerialQueue;
  /** One per location: when each MFA peer was last active. */
  readonly trackers: ReadonlyMap<string, IdleTracker>;
  /** Where each client of a vrrp location was last seen: a new master starts the handshakes there. */
  readonly endpoints: EndpointBook;
  readonly core: CoreLink;
}

export type VrrpSettings = NonNullable<GatewayLocationConfig['vrrp']>;
export type VrrpLocation = GatewayLocationConfig & { vrrp: VrrpSettings };

export function hasVrrp(loc: GatewayLocationConfig): loc is VrrpLocation {
  return loc.vrrp !== null;
}

export const nowS = (): number => Math.floor(Date.now() / 1000);

/** Core's last word on the location's MFA setting; the config file's until Core has sent a full set. */
export function policyOf(state: GatewayState, loc: GatewayLocationConfig): Policy {
  return state.locations.get(loc.name)?.policy ?? { mfa: loc.mfa, disconnectThreshold: loc.disconnectThreshold };
}

/** Records where a client was seen, for vrrp locations only (no other location moves). */
export function noteEndpoint(ctx: Pick<GatewayContext, 'locations' | 'endpoints'>, location: string, publicKey: string, endpoint: string | null, at: number): void {
  if (ctx.locations.get(location)?.vrrp) ctx.endpoints.note(location, publicKey, endpoint, at);
}

/** The tracker of a location this gateway serves (main.ts makes one for each). */
export function trackerOf(ctx: Pick<GatewayContext, 'trackers'>, location: string): IdleTracker {
  const tracker = ctx.trackers.get(location);
  if (!tracker) throw new Error(`bug: no idle tracker for location ${location}`);
  return tracker;
}
