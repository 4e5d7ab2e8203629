// What an event says in the feed, in a few words beside its kind and subject (a provisioning
// step's host, step and result; a link's new state and why), which group of the feed's filter
// it belongs to, and the page it is about. Pure.
import type { CoreEvent } from '../../src-main/contract/index.js';
import { formatBytes } from '../../src-main/text/bytes.js';
import type { View } from '../routes/routes.js';

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
    case 'bundle.exported':
      return `offline bundle ${String(d.id).slice(0, 8)}${d.upgradeOf ? ' (upgrade)' : ''}${d.encrypted ? ', sealed with a passphrase' : ''}`;
    case 'bundle.key_rotated':
      return `signing key now ${str(d.to)}`;
    case 'core.backed_up':
      return typeof d.size === 'number' ? `backup of ${formatBytes(d.size)}` : 'backup';
    case 'host.updated': {
      const set = (f: unknown) => (f && typeof f === 'object' ? str((f as { to?: unknown }).to) : null);
      return [set(d.lan) ? `LAN ${set(d.lan)}` : null, set(d.platform) ? `system ${set(d.platform)}` : null].filter(Boolean).join('; ') + ' (set by hand)';
    }
    default:
      return null;
  }
}

/** The page an event is about: its run's for provisioning, else its subject's ("host:gw1", "device:hq/anna"); null for none. */
export function pageOf(e: CoreEvent): View | null {
  const run = str((e.details as Record<string, unknown>).run);
  if (e.kind.startsWith('provision.') && run) return { kind: 'run', id: run };
  if (e.kind === 'core.backed_up') return { kind: 'backup' };
  const colon = e.subject.indexOf(':');
  const area = e.subject.slice(0, colon);
  const name = e.subject.slice(colon + 1);
  if (colon < 0 || name === '') return null;
  const slash = name.indexOf('/');
  switch (area) {
    case 'location':
      return { kind: 'location', name };
    case 'host':
      return { kind: 'host', name };
    case 'device':
      return slash > 0 ? { kind: 'device', location: name.slice(0, slash), name: name.slice(slash + 1) } : null;
    case 'gateway':
      return slash > 0 ? { kind: 'location', name: name.slice(0, slash) } : null;
    case 'edge':
      return { kind: 'host', name };
    default:
      return null;
  }
}
