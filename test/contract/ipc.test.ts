// The Electron IPC transport, main side. Electron cannot run here (no binary), so the
// IpcMain object is a FAKE standing in for Electron's: it records the handler that
// serveIpc registers, and the test calls it as Electron would. Core behind it is real.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IpcMain } from 'electron';
import { afterEach, describe, expect, test } from 'vitest';
import { IpcReply } from '../../src-main/contract/ipc.js';
import { createCore } from '../../src-main/system/system.js';
import { serveIpc } from '../../src-main/transport/ipc/main.js';
import { IPC_CALL } from '../../src-main/transport/ipc/channels.js';
import { tempDir } from '../helpers/server.js';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>;

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function setup() {
  const t = tempDir();
  const core = createCore({ dbFile: join(t.dir, 'db'), masterKey: randomBytes(32) });
  const handlers = new Map<string, Handler>();
  const fakeIpc = { handle: (ch: string, h: Handler) => handlers.set(ch, h), removeHandler: (ch: string) => handlers.delete(ch) } as unknown as IpcMain;
  const stop = serveIpc(core, fakeIpc, (url) => url === 'file:///app/index.html');
  cleanups.push(() => {
    core.close();
    t[Symbol.dispose]();
  });
  const call = (name: string, input: unknown, url = 'file:///app/index.html') => handlers.get(IPC_CALL)!({ senderFrame: { url } }, name, input);
  return { core, call, stop, handlers };
}

describe('IPC transport', () => {
  test('serves the same procedures with the same validation as HTTP', async () => {
    const { call, core } = setup();
    const ok = (await call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' })) as { ok: boolean; data: { gatewayAddress: string } };
    expect(ok).toMatchObject({ ok: true, data: { gatewayAddress: '10.1.0.1' } });
    const bad = await call('locations.create', { name: 'b', network: '10.0.0.300/24', endpoint: 'vpn', extra: 1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'network' } });
    expect((await core.invoke('events.list', {}))[0]!.actor).toBe('desktop');
  });

  test('answers in the envelope the contract declares for the renderer', async () => {
    const { call } = setup();
    const replies = [
      await call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' }),
      await call('locations.create', { name: 'b', network: '10.0.0.300/24', endpoint: 'vpn' }),
      await call('no.such', {}),
      await call('locations.list', {}, 'https://evil.example'),
    ];
    expect(replies.map((r) => IpcReply.parse(r).ok)).toEqual([true, false, false, false]);
  });

  test('refuses calls from any frame but the Bulwark UI', async () => {
    const { call, core } = setup();
    const r = await call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' }, 'https://evil.example');
    expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await core.invoke('locations.list', {})).toEqual([]);
  });

  test('stopping removes the handler', () => {
    const { stop, handlers } = setup();
    stop();
    expect(handlers.has(IPC_CALL)).toBe(false);
  });
});
