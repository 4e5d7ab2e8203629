// The renderer's client of the contract: Electron IPC when the preload exposed window.bulwark,
// otherwise HTTP + WebSocket to `bulwark serve`. Both speak the same procedures and errors.
import {
  BulwarkError,
  ErrorBody,
  StreamMessage,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type DownloadKind,
  type PreloadApi,
  type ProcInput,
  type ProcOutput,
  type ProcedureName,
} from '../../src-main/contract/index.js';

declare global {
  interface Window {
    bulwark?: PreloadApi;
  }
}

export interface Api {
  readonly transport: 'ipc' | 'http';
  call<N extends ProcedureName>(name: N, input: ProcInput<N>): Promise<ProcOutput<N>>;
  /** Saves an exported bundle or a backup: a download in a browser, a save dialog on the desktop; the name or path, or null when cancelled. */
  saveDownload(kind: DownloadKind, id: string, fileName: string): Promise<string | null>;
  /** Streams events after `after`; reconnects by itself. Returns a stop function. */
  subscribe(onMessage: (m: StreamMessage) => void, onStatus: (s: 'live' | 'reconnecting') => void, after: () => number): () => void;
}

function toError(body: unknown, status: number): BulwarkError {
  const parsed = ErrorBody.safeParse((body as { error?: unknown } | null)?.error);
  return parsed.success ? BulwarkError.fromBody(parsed.data) : new BulwarkError('internal', `server answered ${status} without a Bulwark error`);
}

export function ipcApi(bridge: PreloadApi): Api {
  return {
    transport: 'ipc',
    async call(name, input) {
      const r = await bridge.procedures[name](input);
      if (r.ok) return r.data as never;
      throw toError({ error: r.error }, 0);
    },
    async saveDownload(kind, id, fileName) {
      const r = await bridge.saveDownload(kind, id, fileName);
      if (r.ok) return (r.data as string | null) ?? null;
      throw toError({ error: r.error }, 0);
    },
    subscribe(onMessage, onStatus) {
      onStatus('live');
      return bridge.onEvent(onMessage);
    },
  };
}

export function httpApi(baseUrl: string, token: string): Api {
  return {
    transport: 'http',
    async call(name, input) {
      let res: Response;
      try {
        res = await fetch(`${baseUrl}/api/v1/${name}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-bulwark-actor': 'ui' },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        throw new BulwarkError('unavailable', `cannot reach Bulwark at ${baseUrl}; is "bulwark serve" still running?`);
      }
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) throw toError(body, res.status);
      return (body as { data: unknown }).data as never;
    },
    async saveDownload(kind, id, fileName) {
      const res = await fetch(`${baseUrl}/api/v1/${kind}/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}`, 'x-bulwark-actor': 'ui' } });
      if (!res.ok) throw toError(await res.json().catch(() => null), res.status);
      // The browser's own download: a link to the archive's bytes, clicked once.
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return fileName;
    },
    subscribe(onMessage, onStatus, after) {
      let ws: WebSocket | null = null;
      let stopped = false;
      let delay = 250;
      let retry: ReturnType<typeof setTimeout> | undefined;
      const open = () => {
        // With no event seen yet, start from now rather than replay the whole audit trail.
        const from = after();
        // topology=1: the topology now and each new revision ride the same stream.
        const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/events?topology=1${from > 0 ? `&after=${from}` : ''}`;
        ws = new WebSocket(url, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${token}`]);
        ws.onmessage = (e) => {
          const m = StreamMessage.safeParse(JSON.parse(String(e.data)));
          if (!m.success) return;
          if (m.data.type === 'ready') {
            delay = 250;
            onStatus('live');
          }
          onMessage(m.data);
        };
        ws.onclose = () => {
          if (stopped) return;
          onStatus('reconnecting');
          retry = setTimeout(open, delay);
          delay = Math.min(delay * 2, 5000);
        };
      };
      open();
      return () => {
        stopped = true;
        clearTimeout(retry);
        ws?.close();
      };
    },
  };
}
