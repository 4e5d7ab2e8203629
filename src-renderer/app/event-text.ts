// What an event says in the feed, in a few words beside its kind and subject (a provisioning
// step's host, step and result; a link's new state and why), and which group of the feed's
// filter it belongs to. Pure.
import type { CoreEvent } from '../../src-main/contract/index.js';

export type EventGroup = 'changes' | 'provisioning' | 'links' | 'public';

export function groupOf(kind: string): EventGroup {
  if (kind.startsWith('provision.')) return 'provisioning';
  if (kind.startsWith('link.') || kind.startsWith('balancer.') || kind.startsWith('failover.') || kind.startsWith('certificate.')) return 'links';
  if (/^(invite|enroll|mfa|connect|session)\./.test(kind)) return 'public';
  return 'changes';
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : null);

/** The event's gist; null when its kind and subject say it all. */
export function gist(e: CoreEvent): string | null {
  const d = e.details as Record<string, unknown>;
  switch (e.kind) {
    case 'provision.step':
      return `${str(d.host)}: ${str(d.step)} ${str(d.status)}${d.status === 'failed' && str(d.message) ? `: ${str(d.message)}` : ''}`;
    case 'provision.host_finished':
      return `${str(d.host)}: ${str(d.outcome)}${d.rolledBack ? ', rolled back' : ''}`;
    case 'provision.finished':
      return d.ok ? 'every host applied' : 'not every host applied';
    case 'link.up':
      return d.healthy === false ? 'up, unhealthy' : d.was === 'up' ? 'healthy again' : 'up';
    case 'link.down':
    case 'link.refused':
      return str(d.reason);
    case 'device.rekeyed':
      return 'new key pair';
    default:
      return null;
  }
}
