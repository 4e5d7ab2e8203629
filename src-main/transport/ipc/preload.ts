// transport/ipc (preload): exposes exactly the contract to the sandboxed renderer as
// window.bulwark, in the shape contract/ipc.ts declares. Nothing else of Node.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcReply, PreloadApi } from '../../contract/ipc.js';
import { PROCEDURE_NAMES, type StreamMessage } from '../../contract/procedures.js';
import { IPC_CALL, IPC_EVENT, IPC_SAVE_DOWNLOAD } from './channels.js';

// Object.fromEntries cannot know that the keys are exactly PROCEDURE_NAMES.
const procedures = Object.fromEntries(
  PROCEDURE_NAMES.map((name) => [name, (input: unknown): Promise<IpcReply> => ipcRenderer.invoke(IPC_CALL, name, input)]),
) as PreloadApi['procedures'];

contextBridge.exposeInMainWorld('bulwark', {
  procedures,
  onEvent(listener) {
    const wrapped = (_e: unknown, m: StreamMessage) => listener(m);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
  saveDownload: (kind, id, fileName) => ipcRenderer.invoke(IPC_SAVE_DOWNLOAD, kind, id, fileName),
} satisfies PreloadApi);
