// Wire constants shared by the HTTP server and its clients (kept apart so clients do not load
// fastify). The renderer reads them too, so they live in the contract.
export { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../contract/protocol.js';
