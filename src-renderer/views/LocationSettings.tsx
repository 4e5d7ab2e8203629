// A location's settings that the admin changes after creating it: the endpoint clients dial, the
// routes behind the gateways, MFA and its idle threshold. What a change means is said before or
// after it: turning MFA on cuts every device off until it starts a session (asked first); a new
// endpoint or routes reach a device only in a new config (which devices, said after). Only
// LocationPage imports it.
import { useEffect, useState } from 'react';
import type { Location } from '../../src-main/contract/index.js';
import { formatEndpoint } from '../../src-main/net/endpoint.js';
import { useApp } from '../stores/app-store.js';
import { Field, FormError, useForm } from './form.js';

const endpointOf = (l: Location) => formatEndpoint({ host: l.endpointHost, port: l.endpointPort });

export function LocationSettings({ location }: { location: Location }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [endpoint, setEndpoint] = useState(endpointOf(location));
  const [routes, setRoutes] = useState(location.routes.join('\n'));
  const [mfa, setMfa] = useState(location.mfa);
  const [threshold, setThreshold] = useState(String(location.disconnectThreshold));
  const [askMfa, setAskMfa] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  // A change saved elsewhere (the CLI, another window) refills the fields; what it said stays.
  const saved = `${endpointOf(location)}|${location.routes.join()}|${location.mfa}|${location.disconnectThreshold}`;
  useEffect(() => {
    setEndpoint(endpointOf(location));
    setRoutes(location.routes.join('\n'));
    setMfa(location.mfa);
    setThreshold(String(location.disconnectThreshold));
  }, [saved]); // eslint-disable-line react-hooks/exhaustive-deps

  const routeList = routes.split(/[\s,]+/).filter(Boolean);
  const cutsOff = mfa && !location.mfa && location.deviceCount > 0;
  const save = async () => {
    setOutcome(null);
    const before = location;
    const after = await api.call('locations.update', {
      name: location.name,
      endpoint: endpoint.trim(),
      routes: routeList,
      mfa,
      ...(mfa ? { disconnectThreshold: Number(threshold) } : {}),
    });
    setAskMfa(false);
    const notes: string[] = [];
    const moved = [endpointOf(after) !== endpointOf(before) ? `the old endpoint ${endpointOf(before)}` : null, after.routes.join() !== before.routes.join() ? 'the old routes' : null].filter(Boolean);
    if (moved.length > 0 && after.deviceCount > 0) notes.push(`The client configs of its ${after.deviceCount} devices name ${moved.join(' and ')}: give each a new config ("New config" in the devices table below).`);
    if (after.endpointPort !== before.endpointPort) notes.push(`Its gateways listen on port ${after.endpointPort} after the next apply (Provisioning → Plan).`);
    if ((after.mfa !== before.mfa || after.disconnectThreshold !== before.disconnectThreshold) && after.gatewayCount > 0) notes.push('Its linked gateways have the MFA change now; nothing waits for an apply.');
    setOutcome(notes.length > 0 ? notes.join(' ') : 'Saved.');
    await refresh();
  };
  return (
    <form
      className="card form"
      data-testid="location-settings"
      onSubmit={(e) => {
        if (cutsOff && !askMfa) {
          e.preventDefault();
          setAskMfa(true);
          return;
        }
        f.submit(e, save);
      }}
    >
      <h3>Settings</h3>
      <Field form={f} name="endpoint" label="Endpoint" hint="host[:port] that clients dial: the floating IP or balancer in HA setups" testid="settings-endpoint" value={endpoint} onChange={setEndpoint} mono />
      <Field form={f} name="routes" label="Routes" hint="Networks behind the gateways that devices reach, one CIDR per line; empty for none">
        <textarea data-testid="settings-routes" rows={3} value={routes} onChange={(e) => setRoutes(e.target.value)} className="mono" />
      </Field>
      <label className="check">
        <input type="checkbox" checked={mfa} onChange={(e) => setMfa(e.target.checked)} data-testid="settings-mfa" /> Require MFA: a device connects only after its user passes MFA on the edge
      </label>
      {mfa ? <Field form={f} name="disconnectThreshold" label="Drop idle MFA peers after (seconds)" hint="At least 60" testid="settings-threshold" value={threshold} onChange={setThreshold} inputMode="numeric" /> : null}
      <FormError message={f.general ?? Object.entries(f.errors).find(([k]) => k.startsWith('routes'))?.[1] ?? f.errors.mfa ?? null} />
      {askMfa ? (
        <p className="note" role="alert" data-testid="settings-mfa-confirm">
          Turning MFA on cuts off the {location.deviceCount} devices of {location.name} until each starts an MFA session. Save again to go ahead.
        </p>
      ) : null}
      <button type="submit" disabled={f.busy} data-testid="settings-submit">
        {f.busy ? 'Saving…' : askMfa ? 'Yes, turn MFA on and save' : 'Save settings'}
      </button>
      {outcome ? (
        <p className="muted" role="status" data-testid="settings-outcome">
          {outcome}
        </p>
      ) : null}
    </form>
  );
}
