// Wire constants shared by the HTTP server and its clients (kept apart so clients do not load fastify).
export const WS_PROTOCOL = 'bulwark.v1';
/** Browsers cannot set headers on a WebSocket, so they send the token as a subprotocol. */
export const WS_TOKEN_PREFIX = 'bearer.';
