// Migration 10: device names are stored in Unicode's composed form (NFC), as the contract has
// normalised them since issue #11. A name stored before that in another form ("Rene" and a
// combining accent) could not be named again: every lookup is composed. Each such name is
// composed now; where the composed name is already taken in its location (the two looked the
// same), the device's id is added, "René (7)", so both stay and can be told apart.
import { z } from 'zod';
import type { Migration } from './migration.js';

const Row = z.object({ id: z.number().int(), locationId: z.number().int(), name: z.string() });
/** DeviceName's limit: a name with the id added must still be one that can be typed back. */
const MAX_NAME = 64;

/** `name` with `suffix`, whole characters of the name dropped from its end to stay within MAX_NAME. */
function withSuffix(name: string, suffix: string): string {
  const chars = [...name];
  while (chars.join('').length + suffix.length > MAX_NAME) chars.pop();
  return chars.join('') + suffix;
}

export const m0010DeviceNamesNfc: Migration = {
  version: 10,
  name: 'device-names-nfc',
  sql: '',
  rows(db) {
    const rows = z.array(Row).parse(db.prepare('SELECT id, location_id AS locationId, name FROM devices ORDER BY id').all());
    const taken = db.prepare('SELECT 1 FROM devices WHERE location_id = ? AND name = ? AND id <> ?');
    const rename = db.prepare('UPDATE devices SET name = ? WHERE id = ?');
    for (const r of rows) {
      const composed = r.name.normalize('NFC');
      if (composed === r.name) continue;
      const suffix = ` (${r.id})`;
      rename.run(taken.get(r.locationId, composed, r.id) ? withSuffix(composed, suffix) : composed, r.id);
    }
  },
};
