// A host's actions and agent state, shared by the Hosts table and a host's own page: uninstall
// (asks first, says what it removed and which roles the host no longer plays), remove (asks
// first; a host with agents is uninstalled first, or forgotten when the machine is gone).
import { useState } from 'react';
import type { Host, LinkState } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { ConfirmButton } from '../ConfirmButton.js';
import { ago } from '../format.js';

export type Note = { kind: 'error' | 'info'; text: string };

export function UninstallButton({ name, onDone }: { name: string; onDone: (p: Promise<Note>) => void }) {
  const api = useApp((s) => s.api)!;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  if (busy) return <button type="button" disabled>Uninstalling…</button>;
  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid={`host-uninstall-${name}`}>
        Uninstall
      </button>
    );
  }
  const uninstall = async (): Promise<Note> => {
    const r = await api.call('hosts.uninstall', { name });
    const units = r.units.length ? `stopped ${r.units.join(', ')}; ` : '';
    const roles = r.rolesRemoved.length ? ` It is no longer ${r.rolesRemoved.join(', ')}, so the next plan leaves it alone.` : '';
    const kept = r.rolesKept.map((k) => ` Still ${k.role}: ${k.message}.`).join('');
    return { kind: 'info', text: `Uninstalled from ${name}: ${units}removed ${r.removed.length} path${r.removed.length === 1 ? '' : 's'}.${roles}${kept}` };
  };
  return (
    <>
      <button
        type="button"
        className="danger"
        data-testid={`host-uninstall-confirm-${name}`}
        onClick={() => {
          setConfirming(false);
          setBusy(true);
          onDone(uninstall().finally(() => setBusy(false)));
        }}
      >
        Stop and remove Bulwark's agents from {name}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </>
  );
}

/** How the agents came to the host: an apply (when), or a bundle (exported when; installed once an agent linked). */
function AgentsSince({ host, linked }: { host: Host; linked: boolean }) {
  const a = host.agents;
  if (!a) return <span className="muted">not installed</span>;
  const later = host.lastBundle && host.lastBundle > a.at ? <span className="muted" title={host.lastBundle}>; a bundle exported {ago(host.lastBundle)}</span> : null;
  if (a.by === 'apply') return <span title={a.at}>applied {ago(a.at)}{later}</span>;
  return <span title={a.at}>{linked ? 'installed from' : 'waiting for'} an offline bundle exported {ago(host.lastBundle ?? a.at)}</span>;
}

/** Whether Bulwark's agents are on the host (as the last apply left them) and each one's link to Core. */
export function AgentsCell({ host, links }: { host: Host; links: LinkState[] | null }) {
  const mine = (links ?? []).filter((l) => l.host === host.name);
  return (
    <td data-testid={`host-agents-${host.name}`}>
      <AgentsSince host={host} linked={mine.some((l) => l.state === 'up')} />
      {mine.map((l) => (
        <div key={l.agent} className="small">
          {l.role}: <span className={`link-state link-${l.state}`}>link {l.state}</span>
        </div>
      ))}
    </td>
  );
}

/** Remove asks first; a host that still runs the agents is uninstalled first, or forgotten if the machine is gone. */
export function RemoveButton({ host, run }: { host: Host; run: (p: Promise<unknown>) => void }) {
  const api = useApp((s) => s.api)!;
  if (!host.agents) return <ConfirmButton label="Remove" question={`Remove host ${host.name}? Bulwark forgets it.`} confirm="Yes, remove" onConfirm={() => run(api.call('hosts.remove', { name: host.name }))} testid={`host-remove-${host.name}`} />;
  return (
    <ConfirmButton
      label="Remove"
      question={`${host.name} ${host.agents.by === 'bundle' ? 'may run Bulwark\'s agents (an offline bundle was exported for it)' : "still runs Bulwark's agents"}: use Uninstall first. Only if the machine is gone for good, forget it as it is.`}
      confirm="Forget it anyway"
      onConfirm={() => run(api.call('hosts.remove', { name: host.name, force: true }))}
      testid={`host-remove-${host.name}`}
    />
  );
}

