// Wire constants of the HTTP transport that the server and every client (CLI, browser) share.

/** The WebSocket subprotocol of the event stream; the server accepts no other. */
export const WS_PROTOCOL = 'bulwark.v1';
/** Browsers cannot set headers on a WebSocket, so they send the token as a subprotocol. */
export const WS_TOKEN_PREFIX = 'bearer.';

/**
 * Files Core keeps for one download each (an exported bundle, a backup): GET /api/v1/<kind>/<id>
 * over HTTP, a save dialog over IPC. Each holds secrets: it waits an hour at most, and is removed
 * once delivered.
 */
export const DOWNLOAD_KINDS = ['bundles', 'backups'] as const;
export type DownloadKind = (typeof DOWNLOAD_KINDS)[number];

export function isDownloadKind(value: unknown): value is DownloadKind {
  return (DOWNLOAD_KINDS as readonly unknown[]).includes(value);
}
