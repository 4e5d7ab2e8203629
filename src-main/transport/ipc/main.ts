// transport/ipc (main side): serves the contract to the renderer over Electron IPC.
// Input and output are parsed by Core with the same schemas as over HTTP.
import type { IpcMain, WebContents } from 'electron';
import { BulwarkError, DOWNLOAD_KINDS, isDownloadKind, type IpcReply, type StreamMessage } from '../../contract/index.js';
import type { Core } from '../../system/system.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { IPC_CALL, IPC_EVENT, IPC_SAVE_DOWNLOAD } from './channels.js';

/**
 * `isTrustedSender` rejects frames that are not our own UI (a navigated-away or injected frame).
 * `choosePath` asks the admin where to save a file (Electron's save dialog); null: cancelled.
 */
export function serveIpc(core: Core, ipc: IpcMain, isTrustedSender: (url: string) => boolean, choosePath: (defaultName: string) => Promise<string | null> = async () => null): () => void {
  const untrusted = (): IpcReply => ({ ok: false, error: new BulwarkError('unauthorized', 'calls are accepted from the Bulwark UI only').toBody() });
  ipc.handle(IPC_SAVE_DOWNLOAD, async (event, kind: unknown, id: unknown, fileName: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event.senderFrame?.url ?? '')) return untrusted();
    if (!isDownloadKind(kind)) return { ok: false, error: BulwarkError.field('kind', `"${String(kind)}" is not a download; use ${DOWNLOAD_KINDS.join(' or ')}`).toBody() };
    const source = core.downloads[kind];
    const file = typeof id === 'string' ? source.file(id) : null;
    if (!file) return { ok: false, error: new BulwarkError('not_found', source.missing(String(id))).toBody() };
    const path = await choosePath(typeof fileName === 'string' && /^[A-Za-z0-9._-]+$/.test(fileName) ? fileName : source.fileName(String(id)));
    if (path === null) return { ok: true, data: null };
    try {
      // It holds secrets: readable by the admin alone, also when it replaces a file.
      await pipeline(createReadStream(file.path), createWriteStream(path, { mode: 0o600 }));
      await chmod(path, 0o600);
    } catch (err) {
      return { ok: false, error: new BulwarkError('unavailable', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`).toBody() };
    }
    source.discard(String(id));
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
    ipc.removeHandler(IPC_SAVE_DOWNLOAD);
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
