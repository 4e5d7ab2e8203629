// The wg-quick config a device imports. Pure: model in, text out.

export interface ClientConfigModel {
  locationName: string;
  deviceName: string;
  /** The device's private key, or null to emit a placeholder the admin fills in. */
  privateKey: string | null;
  /** The device's tunnel address with its host prefix, e.g. 10.10.0.2/32. */
  address: string;
  serverPublicKey: string;
  /** Networks routed into the tunnel (the location's pool at least). */
  allowedIps: string[];
  /** HOST:PORT clients dial; IPv6 hosts in brackets. */
  endpoint: string;
  /** Seconds; keeps NAT mappings open and lets a new gateway see the client quickly. */
  persistentKeepalive: number;
}

/** Comment text on one line whatever the name holds (names cannot hold line breaks, but be sure). */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]/g, ' ');
}

export function renderClientConfig(m: ClientConfigModel): string {
  return [
    `# Bulwark device "${oneLine(m.deviceName)}" in location "${oneLine(m.locationName)}"`,
    '[Interface]',
    m.privateKey === null ? '# Replace with the private key that belongs to the public key you gave Bulwark.' : null,
    `PrivateKey = ${m.privateKey ?? '<your private key>'}`,
    `Address = ${m.address}`,
    '',
    '[Peer]',
    `PublicKey = ${m.serverPublicKey}`,
    `AllowedIPs = ${m.allowedIps.join(', ')}`,
    `Endpoint = ${m.endpoint}`,
    `PersistentKeepalive = ${m.persistentKeepalive}`,
    '',
  ]
    .filter((l) => l !== null)
    .join('\n');
}
