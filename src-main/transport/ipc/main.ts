// transport/ipc (main side): serves the contract to the renderer over Electron IPC.
// Input and output are parsed by Core with the same schemas as over HTTP.
import type { IpcMain, WebContents } from 'electron';
import { BulwarkError, type IpcReply, type StreamMessage } from '../../contract/index.js';
import type { Core } from '../../system/system.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { IPC_CALL, IPC_EVENT, IPC_SAVE_BUNDLE } from './channels.js';

/**
 * `isTrustedSender` rejects frames that are not our own UI (a navigated-away or injected frame).
 * `choosePath` asks the admin where to save a file (Electron's save dialog); null: cancelled.
 */
export function serveIpc(core: Core, ipc: IpcMain, isTrustedSender: (url: string) => boolean, choosePath: (defaultName: string) => Promise<string | null> = async () => null): () => void {
  const untrusted = (): IpcReply => ({ ok: false, error: new BulwarkError('unauthorized', 'calls are accepted from the Bulwark UI only').toBody() });
  ipc.handle(IPC_SAVE_BUNDLE, async (event, id: unknown, fileName: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event.senderFrame?.url ?? '')) return untrusted();
    const archive = typeof id === 'string' ? core.bundles.archive(id) : null;
    if (!archive) return { ok: false, error: new BulwarkError('not_found', 'that bundle is no longer waiting to be saved (each is kept an hour, once); export it again').toBody() };
    const path = await choosePath(typeof fileName === 'string' && /^[A-Za-z0-9._-]+$/.test(fileName) ? fileName : 'bundle.tar.gz');
    if (path === null) return { ok: true, data: null };
    try {
      // It holds the host's secrets: readable by the admin alone, also when it replaces a file.
      await pipeline(createReadStream(archive.path), createWriteStream(path, { mode: 0o600 }));
      await chmod(path, 0o600);
    } catch (err) {
      return { ok: false, error: new BulwarkError('unavailable', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`).toBody() };
    }
    core.bundles.discard(String(id));
    return { ok: true, data: path };
  });
  ipc.handle(IPC_CALL, async (event, name: unknown, input: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event.senderFrame?.url ?? '')) return untrusted();
    try {
      return { ok: true, data: await core.call(String(name), input, { actor: 'desktop', origin: 'ipc' }) };
    } catch (err) {
      const e = err instanceof BulwarkError ? err : new BulwarkError('internal', String(err));
      return { ok: false, error: e.toBody() };
    }
  });
  return () => {
    ipc.removeHandler(IPC_CALL);
    ipc.removeHandler(IPC_SAVE_BUNDLE);
  };
}

/** Forwards every committed event and each new topology to a window's renderer. */
export function streamEvents(core: Core, contents: WebContents): () => void {
  const send = (m: StreamMessage) => {
    if (!contents.isDestroyed()) contents.send(IPC_EVENT, m);
  };
  const stops = [core.onDidEvent((event) => send({ type: 'event', event })), core.onDidChangeTopology((topology) => send({ type: 'topology', topology }))];
  return () => stops.forEach((stop) => stop());
}
