// The contract over Electron IPC as the renderer sees it: what the preload exposes as
// window.bulwark and the envelope the main process answers a call with. transport/ipc
// implements both; the renderer only reads them.
import { z } from 'zod';
import { ErrorBody } from './errors.js';
import type { ProcedureName, StreamMessage } from './procedures.js';
import type { DownloadKind } from './protocol.js';

/** The main process's answer to one call: the procedure's output (parsed by Core), or the error as Core wrote it. */
export const IpcReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorBody }),
]);
export type IpcReply = z.infer<typeof IpcReply>;

/** window.bulwark: one function per procedure, plus the event stream; nothing else of Node. */
export interface PreloadApi {
  procedures: Record<ProcedureName, (input: unknown) => Promise<IpcReply>>;
  /** Calls `listener` with every message on the stream; returns a function that stops it. */
  onEvent(listener: (m: StreamMessage) => void): () => void;
  /** Saves an exported bundle or a backup (the id bundles.export or core.backup gave) where the admin chooses; data: the path, or null when they cancelled. */
  saveDownload(kind: DownloadKind, id: string, fileName: string): Promise<IpcReply>;
}
