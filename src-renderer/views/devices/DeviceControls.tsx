// What can be done to one device, shared by the devices table and a device's own page: its MFA
// session (start as if its user passed MFA, end), a new config (a new key pair, asked first),
// disable (asked first) or enable, and removal (asked first).
import type { DeviceSearchRow } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { ConfirmButton } from '../ConfirmButton.js';
import { age } from '../format.js';
import type { ClientConfig } from './ClientConfigDialog.js';

type DeviceStatus = DeviceSearchRow;

export /** MFA: the device's session (its peer is on the gateways only with one), with the admin's start/end. */
function SessionCell({ location, device, session, run }: { location: string; device: string; session: DeviceStatus['session'] | undefined; run: (p: Promise<unknown>) => Promise<unknown> }) {
  const api = useApp((s) => s.api)!;
  if (session === undefined) return <td className="muted" data-testid="device-session">…</td>;
  return (
    <td data-testid="device-session">
      {session ? (
        <>
          <span className="ok-text" title={`session ${session.id}, started by ${session.startedBy}`}>active for {age(session.startedAt)}</span>{' '}
          <button type="button" className="link" data-testid="session-end" onClick={() => run(api.call('sessions.end', { location, device }))}>End</button>
        </>
      ) : (
        <>
          <span className="muted" title="its peer is on the gateways only once its user passes MFA">waiting for MFA</span>{' '}
          <button type="button" className="link" data-testid="session-start" title="Authorise the device as if its user had passed MFA" onClick={() => run(api.call('sessions.start', { location, device }))}>Start</button>
        </>
      )}
    </td>
  );
}

/**
 * New config, disable or enable, remove. `removing` is told before a removal is sent and after
 * it went through (done) or failed (so a page that reads the device can stop reading it).
 */
export function DeviceActions({ d, run, onConfig, removing }: { d: DeviceStatus; run: (p: Promise<unknown>) => Promise<unknown>; onConfig: (c: ClientConfig) => void; removing?: { start: () => void; done: () => void; failed: () => void } }) {
  const api = useApp((s) => s.api)!;
  const location = d.location;
  return (
    <>
        <ConfirmButton
          label="New config"
          danger={false}
          question={`A new key pair for ${d.name}? Its current config stops working.`}
          confirm="Yes, new config"
          onConfirm={() => run(api.call('devices.config', { location, name: d.name }).then((r) => onConfig({ location, device: d.name, text: r.clientConfig, secret: r.containsPrivateKey, disabled: !r.device.enabled })))}
          testid={`device-reissue-${d.name}`}
        />
        {d.enabled ? (
          <ConfirmButton
            label="Disable"
            question={`Disable ${d.name}? It is cut off at once; its key and address stay, and Enable lets it back.`}
            confirm="Yes, disable"
            onConfirm={() => run(api.call('devices.setEnabled', { location, name: d.name, enabled: false }))}
            testid={`device-disable-${d.name}`}
          />
        ) : (
          <button type="button" data-testid={`device-enable-${d.name}`} title="Let it connect again" onClick={() => run(api.call('devices.setEnabled', { location, name: d.name, enabled: true }))}>
            Enable
          </button>
        )}
        <ConfirmButton label="Remove" question={`Remove ${d.name}? It is cut off at once.`} confirm="Yes, remove" onConfirm={() => {
            removing?.start();
            const removal = api.call('devices.remove', { location, name: d.name });
            removal.then(() => removing?.done(), () => removing?.failed());
            return run(removal);
          }} testid={`device-remove-${d.name}`} />
    </>
  );
}
