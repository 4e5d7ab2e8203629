// Where each client was last seen, per location: from this gateway's own counters and, through
// Core, from the location's other gateways. A new VRRP master starts its handshakes there. Kept
// on disk, so a standby that restarts while Core is down still knows where its clients are.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** An endpoint as WireGuard prints it ("198.51.100.7:51820", "[2001:db8::7]:51820"); anything else is not used. */
const ENDPOINT = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export interface Seen {
  endpoint: string;
  /** Unix seconds of the handshake or activity it was seen with. */
  at: number;
}

export class EndpointBook {
  private readonly byLocation = new Map<string, Map<string, Seen>>();
  private dirty = false;

  /** Loads what a previous run saved, for the locations this gateway still serves; a missing or damaged file is an empty book. */
  static load(file: string, locations: string[]): EndpointBook {
    const book = new EndpointBook();
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, Seen>>;
      for (const location of locations) {
        for (const [key, s] of Object.entries(saved[location] ?? {})) {
          if (typeof s?.endpoint === 'string' && Number.isInteger(s.at)) book.note(location, key, s.endpoint, s.at);
        }
      }
    } catch {
      // first start, or a damaged file: Core and the counters fill it again
    }
    book.dirty = false;
    return book;
  }

  /** Records a sighting if it is an endpoint and not older than what is known. */
  note(location: string, publicKey: string, endpoint: string | null, at: number): void {
    if (!endpoint || !ENDPOINT.test(endpoint)) return;
    const m = this.byLocation.get(location) ?? new Map<string, Seen>();
    this.byLocation.set(location, m);
    const had = m.get(publicKey);
    if (had && at < had.at) return;
    if (!had || had.endpoint !== endpoint || had.at !== at) this.dirty = true;
    m.set(publicKey, { endpoint, at });
  }

  of(location: string): ReadonlyMap<string, Seen> {
    return this.byLocation.get(location) ?? new Map();
  }

  /** A removed peer's endpoint goes with it. */
  forget(location: string, publicKey: string): void {
    if (this.byLocation.get(location)?.delete(publicKey)) this.dirty = true;
  }

  /** Writes the book (atomically) when it changed since the last save. */
  save(file: string): void {
    if (!this.dirty) return;
    const out = Object.fromEntries([...this.byLocation].map(([loc, m]) => [loc, Object.fromEntries(m)]));
    writeFileSync(`${file}.tmp`, JSON.stringify(out), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.dirty = false;
  }
}
