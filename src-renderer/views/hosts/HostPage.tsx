// One host's page (/hosts/NAME): how Bulwark reaches it, its pinned key and LAN, the roles it
// plays (each a link), its agents and their links to Core, and what can be done to it.
import { useCallback, useState } from 'react';
import { NavLink } from 'react-router';
import type { Host } from '../../../src-main/contract/index.js';
import { pathOf } from '../../routes/routes.js';
import { useApp } from '../../stores/app-store.js';
import { useProvision } from '../../stores/provision-store.js';
import { usePolled } from '../use-polled.js';
import { AgentsCell, RemoveButton, UninstallButton, type Note } from './HostActions.js';
import { HostCheckDialog } from './HostCheckDialog.js';
import { BundleExport } from './BundleExport.js';
import { HostFactsForm } from './HostFactsForm.js';

function RoleLink({ role }: { role: string }) {
  const [kind, location] = role.split(':') as [string, string | undefined];
  if (location === undefined) return <span>{role}</span>;
  const what = kind === 'gateway' ? 'gateway of' : kind === 'balancer' ? 'load balancer of' : `${kind} of`;
  return (
    <span>
      {what} <NavLink to={pathOf({ kind: 'location', name: location })}>{location}</NavLink>
    </span>
  );
}

function Facts({ host }: { host: Host }) {
  return (
    <dl className="facts" data-testid="host-facts">
      <dt>SSH</dt>
      <dd className="mono">{host.sshUser}@{host.sshAddress}:{host.sshPort}</dd>
      <dt>Authentication</dt>
      <dd className="mono">{host.auth.kind === 'key' ? host.auth.identityFile : 'the ssh-agent'}</dd>
      <dt>Host key</dt>
      <dd className="mono" data-testid="host-page-key">{host.hostKeyFingerprint ?? 'not pinned yet: check the host and accept its key'}</dd>
      <dt>LAN</dt>
      <dd data-testid="host-page-lan">{host.lan ? <><span className="mono">{host.lan.address}</span> on <span className="mono">{host.lan.interface}</span></> : 'not seen yet: a check records it, or set it by hand'}</dd>
      <dt>System</dt>
      <dd data-testid="host-page-platform">{host.platform ? <span className="mono">{host.platform.os}, {host.platform.arch}</span> : 'not seen yet: a check records it, or set it by hand'}</dd>
      <dt>Roles</dt>
      <dd data-testid="host-page-roles">
        {host.roles.length
          ? host.roles.map((r, i) => (
              <span key={r}>
                {i > 0 ? ', ' : ''}
                <RoleLink role={r} />
              </span>
            ))
          : 'none'}
      </dd>
      <dt>Added</dt>
      <dd title={host.createdAt}>{new Date(host.createdAt).toLocaleString()}</dd>
    </dl>
  );
}

export function HostPage({ name }: { name: string }) {
  const host = useApp((s) => s.hosts.find((h) => h.name === name));
  const loaded = useApp((s) => s.loaded);
  const api = useApp((s) => s.api)!;
  const go = useApp((s) => s.go);
  const refresh = useApp((s) => s.refresh);
  const [note, setNote] = useState<Note | null>(null);
  const [checking, setChecking] = useState(false);
  const [setting, setSetting] = useState(false);
  const closeCheck = useCallback(() => setChecking(false), []);
  const links = usePolled(() => api.call('links.list', {}), 3000, [api]);
  if (!host) return <section className="page"><p className="empty" data-testid="host-page-missing">{loaded ? `There is no host ${name} (any more).` : 'Loading…'}</p></section>;
  const show = (p: Promise<Note | null>) => {
    setNote(null);
    p.then((n) => {
      setNote(n);
      return refresh();
    }).catch((e: Error) => setNote({ kind: 'error', text: e.message }));
  };
  const plan = () => {
    useProvision.getState().setScope({ kind: 'host', name });
    go({ kind: 'provisioning' });
    void useProvision.getState().makePlan();
  };
  return (
    <section className="page" data-testid="host-page">
      <NavLink to={pathOf({ kind: 'hosts' })} className="back">← Hosts</NavLink>
      <h2 data-testid="host-title">{host.name}</h2>
      <Facts host={host} />
      <h3>Agents</h3>
      <table className="table">
        <tbody>
          <tr>
            <AgentsCell host={host} links={links.value} />
          </tr>
        </tbody>
      </table>
      <div className="actions host-page-actions">
        <button type="button" onClick={() => setChecking(true)} data-testid={`host-check-${host.name}`}>
          Check
        </button>
        <button type="button" onClick={() => setSetting(true)} data-testid="host-set-facts" title="For a host Core cannot reach over SSH">
          Set network by hand
        </button>
        {host.roles.length ? (
          <button type="button" onClick={plan} data-testid="host-plan">
            Plan this host
          </button>
        ) : null}
        {host.hostKeyFingerprint ? <UninstallButton name={host.name} onDone={show} /> : null}
        <RemoveButton
          host={host}
          run={(p) =>
            show(
              p.then(() => {
                go({ kind: 'hosts' });
                return null;
              }),
            )
          }
        />
      </div>
      {note ? (
        <p className={note.kind === 'error' ? 'form-error' : 'ok-text'} role={note.kind === 'error' ? 'alert' : 'status'} data-testid={`host-note-${host.name}`}>
          {note.text}
        </p>
      ) : null}
      {setting ? <HostFactsForm host={host} onClose={() => setSetting(false)} /> : null}
      {checking ? <HostCheckDialog name={host.name} onClose={closeCheck} /> : null}
      {host.roles.length ? <BundleExport scope={{ host }} /> : null}
    </section>
  );
}
