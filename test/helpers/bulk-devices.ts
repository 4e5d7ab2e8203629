// Many devices at once, for tests and benches at scale: every devices.add runs through Core's
// contract (input and output parsed, one event each), all inside one outer write transaction,
// which each call joins as a savepoint. 10,000 devices take about 7 s (mostly making their
// keys), a fraction of what 10,000 separate commits over HTTP would.
import type { Core } from '../../src-main/system/system.js';

/** Adds `names` to `location` in one transaction; resolves when all are stored. */
export async function addDevices(core: Core, location: string, names: readonly string[]): Promise<void> {
  const calls: Promise<unknown>[] = [];
  // A mutation's write starts synchronously inside invoke, so each joins this one.
  core.store.write(() => {
    for (const name of names) calls.push(core.invoke('devices.add', { location, name }, { actor: 'test' }));
  });
  await Promise.all(calls);
}
