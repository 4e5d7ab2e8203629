// The options every command shares, which say where the server is, and the client they give.
import type { Command } from 'commander';
import type { HttpClient } from '../transport/http/client.js';
import { connect } from './connect.js';
import { text, type Options } from './options.js';

export const GLOBAL_OPTIONS = {
  dataDir: text('<dir>', 'Core data dir (default: $BULWARK_DATA_DIR, else ~/.local/share/bulwark)'),
  server: text('<url>', "talk to the Bulwark server at this URL instead of the data dir's"),
  tokenFile: text('<file>', 'API token file for --server (default: $BULWARK_TOKEN_FILE)'),
  fingerprint: text('<sha256>', "with --server: trust the server's TLS certificate by this SHA-256 fingerprint (bulwark serve prints it), not by CAs and names"),
};
export type GlobalOptions = Options<typeof GLOBAL_OPTIONS>;

/** A client of the server that the command line's global options name. */
export function client(cmd: Command): HttpClient {
  return connect(cmd.optsWithGlobals<GlobalOptions>());
}
