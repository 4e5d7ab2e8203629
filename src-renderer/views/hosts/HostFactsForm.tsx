// The LAN and platform of a host set by hand (hosts.update), for a host Core cannot reach over
// SSH, such as one installed from offline bundles. A later host check replaces them.
import { useState } from 'react';
import type { Host } from '../../../src-main/contract/index.js';
import { useApp } from '../../stores/app-store.js';
import { Field, FormError, useForm } from '../form.js';

export function HostFactsForm({ host, onClose }: { host: Host; onClose: () => void }) {
  const api = useApp((s) => s.api)!;
  const refresh = useApp((s) => s.refresh);
  const f = useForm();
  const [iface, setIface] = useState(host.lan?.interface ?? '');
  const [address, setAddress] = useState(host.lan?.address ?? '');
  const [os, setOs] = useState(host.platform?.os ?? '');
  const [arch, setArch] = useState(host.platform?.arch ?? '');
  const run = async () => {
    const lan = iface || address ? { lan: { interface: iface, address } } : {};
    const platform = os || arch ? { platform: { os, arch } } : {};
    await api.call('hosts.update', { name: host.name, ...lan, ...platform });
    await refresh();
    onClose();
  };
  return (
    <form className="card form" data-testid="host-facts-form" onSubmit={(e) => f.submit(e, run)}>
      <h3>Set the network and system by hand</h3>
      <p className="muted">
        For a host Core cannot reach over SSH (installed from offline bundles): what a check would find. A floating IP goes on this LAN, and a bundle must match this system. A later
        check replaces both with what it sees.
      </p>
      <Field form={f} name="lan.interface" label="LAN interface" hint='as "ip -br address" prints it, such as eth0' testid="facts-interface" value={iface} onChange={setIface} mono />
      <Field form={f} name="lan.address" label="LAN address/prefix" hint="the host's IPv4 address with the LAN's prefix, such as 198.51.100.11/24" testid="facts-address" value={address} onChange={setAddress} mono />
      <Field form={f} name="platform.os" label="OS release" hint="ID-VERSION_ID of its /etc/os-release, such as debian-12" testid="facts-os" value={os} onChange={setOs} mono />
      <Field form={f} name="platform.arch" label="Architecture" hint="as uname -m prints it, such as x86_64" testid="facts-arch" value={arch} onChange={setArch} mono />
      <FormError message={f.general ?? f.errors.lan ?? f.errors.platform ?? null} />
      <div className="actions">
        <button type="submit" disabled={f.busy} data-testid="facts-submit">
          Save
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
