// transport/ipc (preload): exposes exactly the contract to the sandboxed renderer as
// window.bulwark. One function per procedure, plus the event stream; nothing else of Node.
import { contextBridge, ipcRenderer } from 'electron';
import { PROCEDURE_NAMES, type StreamMessage } from '../../contract/procedures.js';
import { IPC_CALL, IPC_EVENT } from './channels.js';

const procedures = Object.fromEntries(
  PROCEDURE_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(IPC_CALL, name, input)]),
);

contextBridge.exposeInMainWorld('bulwark', {
  procedures,
  onEvent(listener: (m: StreamMessage) => void): () => void {
    const wrapped = (_e: unknown, m: StreamMessage) => listener(m);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
});
