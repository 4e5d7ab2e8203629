// commands/: one file per noun of the `bulwark` command line, each a client of the contract that
// exports register(program, cli). Only program.ts imports this folder; a command file imports the
// contract, cli/'s shared modules and pure helpers, never another command file.
import type { Command } from 'commander';
import type { Cli } from '../command.js';
import * as backup from './backup.js';
import * as bundle from './bundle.js';
import * as device from './device.js';
import * as edge from './edge.js';
import * as failover from './failover.js';
import * as events from './events.js';
import * as gateway from './gateway.js';
import * as host from './host.js';
import * as invite from './invite.js';
import * as lockout from './lockout.js';
import * as location from './location.js';
import * as provision from './provision.js';
import * as serve from './serve.js';
import * as session from './session.js';
import * as status from './status.js';
import * as topology from './topology.js';

/** In the order `bulwark --help` lists them. */
export const NOUNS: { register: (program: Command, cli: Cli) => void }[] = [serve, location, host, provision, bundle, gateway, edge, invite, device, session, lockout, status, topology, failover, events, backup];
