// A failover drill: the admin moves a location's floating IP on purpose (a planned switchover)
// and gets the same measurement as after a real failover. The master is told to give the address
// up (CoreDrill: its keepalived sees the location unhealthy for a moment, then it returns as
// backup); the standby takes over, measures its clients' return and reports it. A drill starts
// only when a standby is ready to take over, and says why not otherwise.
import { BulwarkError, TAKEOVER_WATCH_MS, type FailoverDrillOutput, type LocationStatus } from '../contract/index.js';
import { agentSubject } from '../core/pki/pki-service.js';
import type { LinkHub } from '../link/link-hub.js';
import type { Store } from '../store/db.js';
import type { FailoverHistory } from './failover-history.js';

/** Why a gateway cannot take over now, or null when it can. */
export function standbyProblem(g: LocationStatus['gateways'][number]): string | null {
  if (g.link !== 'up') return `Core has no link with it (${g.reason ?? g.link})`;
  if (g.healthy !== true) return 'its WireGuard is not healthy';
  if (g.vrrp?.role !== 'BACKUP') return `keepalived says ${g.vrrp?.role ?? 'nothing yet'}, not BACKUP`;
  return null;
}

/** The master and the standbys that can take over, or the reason the drill must not start. Pure. */
export function drillPlan(status: LocationStatus): { master: string; standbys: string[] } {
  const field = (message: string) => BulwarkError.field('location', message, 'in_use');
  if (status.failover.mode !== 'vrrp') throw BulwarkError.field('location', `location ${status.location} has no floating IP (failover ${status.failover.mode}); a drill moves a floating IP: set one with "bulwark location failover ${status.location} --mode vrrp …"`);
  const holders = status.failover.holders;
  if (holders.length === 0) throw field(`no gateway of ${status.location} holds its floating IP now, so there is nothing to move; see "bulwark topology"`);
  if (holders.length > 1) throw field(`${holders.join(' and ')} both hold the floating IP of ${status.location} (split brain); fix that before a drill`);
  const master = holders[0]!;
  const others = status.gateways.filter((g) => g.host !== master);
  if (others.length === 0) throw field(`${status.location} has one gateway (${master}); a drill needs a standby: add one with "bulwark gateway add --location ${status.location} --host H"`);
  const standbys = others.filter((g) => standbyProblem(g) === null).map((g) => g.host);
  if (standbys.length === 0) {
    throw field(`no standby of ${status.location} can take over, so a drill would cut its clients off: ${others.map((g) => `${g.host}: ${standbyProblem(g)}`).join('; ')}`);
  }
  return { master, standbys };
}

export async function runDrill(
  deps: { hub: LinkHub; store: Store; history: FailoverHistory; status: (location: string) => LocationStatus },
  location: string,
  holdMs: number,
): Promise<FailoverDrillOutput> {
  if (deps.history.drilling(location)) throw new BulwarkError('in_use', `a drill of ${location} is already running; wait for its result`);
  const { master, standbys } = drillPlan(deps.status(location));
  const link = deps.hub.get(agentSubject('gateway', master));
  if (!link || link.state !== 'up') throw new BulwarkError('unavailable', `Core has no link with the master ${master}; try again when "bulwark status" shows it up`);
  const started = Date.now();
  const endDrill = deps.history.drillStarted(location, master, started);
  const waitMs = holdMs + TAKEOVER_WATCH_MS + 10_000;
  const stops: (() => void)[] = [];
  try {
    deps.store.write((tx) => tx.event({ kind: 'failover.drill_started', subject: `location:${location}`, details: { location, from: master, to: standbys.join(', '), holdMs } }));
    const record = await new Promise<FailoverDrillOutput['record']>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BulwarkError('unavailable', `no gateway reported taking over ${location} within ${Math.round(waitMs / 1000)} s; see "bulwark topology" and "journalctl -u bulwark-gateway" on ${standbys.join(', ')}`)), waitMs);
      stops.push(() => clearTimeout(timer));
      stops.push(deps.history.onRecorded((r) => r.location === location && r.drill && resolve(r)));
      stops.push(
        deps.hub.onMessage('refused', (from, m) => {
          if (from.target.host === master && m.reason.startsWith('drill:') && m.reason.includes(location)) reject(new BulwarkError('in_use', `${master} refused the drill: ${m.reason.slice('drill:'.length).trim()}`));
        }),
      );
      link.send({ type: 'drill', location, holdMs });
    });
    return { from: master, to: record.gateway, record };
  } catch (err) {
    const reason = (err as Error).message;
    deps.store.write((tx) => tx.event({ kind: 'failover.drill_failed', subject: `location:${location}`, details: { location, from: master, reason } }));
    throw err;
  } finally {
    for (const stop of stops) stop();
    endDrill();
  }
}
