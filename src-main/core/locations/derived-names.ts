// The names Bulwark derives from a location's name for the hosts: the identifier in keepalived,
// nginx and Envoy, and the WireGuard interface. Neither is one-to-one, so a new location whose
// derived name another location already has is refused here, naming both, rather than two
// locations sharing a VRRP instance, an upstream or an interface on a host.
import { BulwarkError } from '../../contract/index.js';
import { interfaceName } from '../../contract/host-layout.js';
import { locationIdentifier } from '../../config-gen/location-identifier.js';
import type { Tx } from '../../store/db.js';

/** Refuses `name` when one of its derived names is already another location's. */
export function requireDistinctDerivedNames(tx: Tx, name: string): void {
  // nginx compares upstream names without regard to case, so the identifiers are compared so too.
  const identifier = locationIdentifier(name);
  const iface = interfaceName(name);
  for (const other of tx.all<{ name: string }>('SELECT name FROM locations ORDER BY name')) {
    if (locationIdentifier(other.name).toLowerCase() === identifier.toLowerCase()) {
      throw BulwarkError.field(
        'name',
        `location ${JSON.stringify(name)} would be ${identifier} in keepalived, nginx and Envoy, which location ${JSON.stringify(other.name)} already is (they keep only letters, digits and "_"); choose a name that differs from ${JSON.stringify(other.name)} in more than ".", "-", "_" and case`,
        'already_exists',
      );
    }
    if (interfaceName(other.name) === iface) {
      throw BulwarkError.field(
        'name',
        `location ${JSON.stringify(name)} would get the WireGuard interface ${iface}, which location ${JSON.stringify(other.name)} already has (a name longer than 12 characters gets "bw-" and 12 hex digits of its hash); choose another name`,
        'already_exists',
      );
    }
  }
}
