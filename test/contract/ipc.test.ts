// The Electron IPC transport, main side. Electron cannot run here (no binary), so the
// IpcMain object is a FAKE standing in for Electron's: it records the handler that
// serveIpc registers, and the test calls it as Electron would. Core behind it is real.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IpcMain } from 'electron';
import { afterEach, describe, expect, test } from 'vitest';
import { IpcReply } from '../../src-main/contract/ipc.js';
import { createCore } from '../../src-main/system/system.js';
import { serveIpc } from '../../src-main/transport/ipc/main.js';
import { IPC_CALL, IPC_SAVE_DOWNLOAD } from '../../src-main/transport/ipc/channels.js';
import { openBackupFile } from '../../src-main/backup/backup-file.js';
import { tempDir } from '../helpers/server.js';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>;

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function setup(choosePath?: (defaultName: string) => Promise<string | null>) {
  const t = tempDir();
  const core = createCore({ dbFile: join(t.dir, 'db'), masterKey: randomBytes(32) });
  const handlers = new Map<string, Handler>();
  const fakeIpc = { handle: (ch: string, h: Handler) => handlers.set(ch, h), removeHandler: (ch: string) => handlers.delete(ch) } as unknown as IpcMain;
  const stop = serveIpc(core, fakeIpc, (url) => url === 'file:///app/index.html', choosePath);
  cleanups.push(() => {
    core.close();
    t[Symbol.dispose]();
  });
  const call = (name: string, input: unknown, url = 'file:///app/index.html') => handlers.get(IPC_CALL)!({ senderFrame: { url } }, name, input);
  const save = (kind: unknown, id: unknown, fileName: unknown, url = 'file:///app/index.html') => handlers.get(IPC_SAVE_DOWNLOAD)!({ senderFrame: { url } }, kind, id, fileName);
  return { core, call, save, stop, handlers, dir: t.dir };
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

  test('stopping removes the handlers', () => {
    const { stop, handlers } = setup();
    stop();
    expect(handlers.has(IPC_CALL)).toBe(false);
    expect(handlers.has(IPC_SAVE_DOWNLOAD)).toBe(false);
  });

  test('a backup is saved where the admin chose, for them alone, once', async () => {
    const asked: string[] = [];
    let target = '';
    const { call, save, dir } = setup(async (name) => {
      asked.push(name);
      return target;
    });
    target = join(dir, 'chosen.bulwark-backup');
    await call('locations.create', { name: 'hq', network: '10.1.0.0/24', endpoint: 'vpn' });
    const made = IpcReply.parse(await call('core.backup', { passphrase: 'correct horse battery staple' }));
    if (!made.ok) throw new Error(made.error.message);
    const { id, fileName } = made.data as { id: string; fileName: string };
    // Another frame may not save it; a kind that is not a download is named.
    expect(await save('backups', id, fileName, 'https://evil.example')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await save('secrets', id, fileName)).toMatchObject({ ok: false, error: { code: 'invalid_input', field: 'kind' } });
    expect(await save('backups', id, fileName)).toEqual({ ok: true, data: target });
    expect(asked).toEqual([fileName]);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const opened = openBackupFile(readFileSync(target), 'correct horse battery staple');
    expect([...opened.parts.keys()]).toEqual(['bulwark.db', 'secret.key']);
    expect(await save('backups', id, fileName)).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringMatching(/make it again/) } });
  });

  test('a cancelled save dialog keeps the backup waiting', async () => {
    let answer: string | null = null;
    const { call, save, dir } = setup(async () => answer);
    const made = IpcReply.parse(await call('core.backup', { passphrase: 'correct horse battery staple' }));
    if (!made.ok) throw new Error(made.error.message);
    const { id, fileName } = made.data as { id: string; fileName: string };
    expect(await save('backups', id, fileName)).toEqual({ ok: true, data: null });
    answer = join(dir, 'later.bulwark-backup');
    expect(await save('backups', id, fileName)).toEqual({ ok: true, data: answer });
  });
});
