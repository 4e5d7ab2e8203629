// The wg-quick config a device imports. Pure: model in, text out.

export type { ClientConfigModel } from '../../contract/index.js';
import type { ClientConfigModel } from '../../contract/index.js';

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
