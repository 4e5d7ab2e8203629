// Wire constants of the HTTP transport that the server and every client (CLI, browser) share.

/** The WebSocket subprotocol of the event stream; the server accepts no other. */
export const WS_PROTOCOL = 'bulwark.v1';
/** Browsers cannot set headers on a WebSocket, so they send the token as a subprotocol. */
export const WS_TOKEN_PREFIX = 'bearer.';
