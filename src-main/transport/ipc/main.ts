// transport/ipc (main side): serves the contract to the renderer over Electron IPC.
// Input and output are parsed by Core with the same schemas as over HTTP.
import type { IpcMain, WebContents } from 'electron';
import { BulwarkError, type IpcReply, type StreamMessage } from '../../contract/index.js';
import type { Core } from '../../system/system.js';
import { IPC_CALL, IPC_EVENT } from './channels.js';

/** `isTrustedSender` rejects frames that are not our own UI (a navigated-away or injected frame). */
export function serveIpc(core: Core, ipc: IpcMain, isTrustedSender: (url: string) => boolean): () => void {
  ipc.handle(IPC_CALL, async (event, name: unknown, input: unknown): Promise<IpcReply> => {
    if (!isTrustedSender(event.senderFrame?.url ?? '')) {
      return { ok: false, error: new BulwarkError('unauthorized', 'calls are accepted from the Bulwark UI only').toBody() };
    }
    try {
      return { ok: true, data: await core.call(String(name), input, { actor: 'desktop', origin: 'ipc' }) };
    } catch (err) {
      const e = err instanceof BulwarkError ? err : new BulwarkError('internal', String(err));
      return { ok: false, error: e.toBody() };
    }
  });
  return () => ipc.removeHandler(IPC_CALL);
}

/** Forwards every committed event and each new topology to a window's renderer. */
export function streamEvents(core: Core, contents: WebContents): () => void {
  const send = (m: StreamMessage) => {
    if (!contents.isDestroyed()) contents.send(IPC_EVENT, m);
  };
  const stops = [core.onDidEvent((event) => send({ type: 'event', event })), core.onDidChangeTopology((topology) => send({ type: 'topology', topology }))];
  return () => stops.forEach((stop) => stop());
}
