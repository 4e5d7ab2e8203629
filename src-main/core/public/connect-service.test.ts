// The edge's connect page and a disabled device, on a real SQLite file: the link is recognised
// but says the device is disabled, before any code is checked (so no attempt is counted), and
// works again once the device is enabled.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { coreOnDisk } from '../../../test/helpers/core.js';
import { SecretBox } from '../keys/secret-box.js';
import { AttemptLimiter } from './attempt-limiter.js';
import { ConnectService } from './connect-service.js';
import { PublicError } from './public-error.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('connect and a disabled device', () => {
  test('lookup and connect say the device is disabled, count no attempt, and work again once enabled', async () => {
    const { core } = coreOnDisk(cleanups);
    await core.invoke('locations.create', { name: 'secure', network: '10.8.0.0/24', endpoint: 'vpn.example.com', mfa: true, disconnectThreshold: 120 });
    await core.invoke('devices.add', { location: 'secure', name: 'anna' });
    const connectId = 'A'.repeat(22);
    core.store.write((tx) => tx.run("UPDATE devices SET connect_id = ? WHERE name = 'anna'", connectId));
    const limiter = new AttemptLimiter();
    const connect = new ConnectService(core.store, { now: () => new Date() } as never, new SecretBox(randomBytes(32)), core.services.sessions, limiter);
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: false });
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err as PublicError;
      }
      throw new Error('expected a refusal');
    };
    for (const attempt of [() => connect.lookup({ device: connectId }, '198.51.100.7'), () => connect.start({ device: connectId, code: '123456' }, '198.51.100.7')]) {
      const err = refusal(attempt);
      expect(err).toBeInstanceOf(PublicError);
      expect(err).toMatchObject({ code: 'conflict', message: 'This device is disabled: it cannot connect until your administrator enables it again.' });
    }
    expect(core.store.read((tx) => tx.get<{ n: number }>('SELECT count(*) AS n FROM lockouts'))!.n).toBe(0);
    expect((await core.invoke('events.list', { limit: 100 })).filter((e) => e.kind === 'mfa.failed')).toEqual([]);
    await core.invoke('devices.setEnabled', { location: 'secure', name: 'anna', enabled: true });
    expect(connect.lookup({ device: connectId }, '198.51.100.7')).toEqual({ location: 'secure', device: 'anna', disconnectThreshold: 120 });
  });
});
