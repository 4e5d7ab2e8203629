// contract/: the zod schemas, procedures and error codes shared by Core, transports, CLI,
// renderer and agents. Imports zod and net/ only: no node:, electron, ssh2 or SQLite.
export * from './errors.js';
export * from './procedures.js';
export * from './schemas/common.js';
export * from './schemas/location.js';
export * from './schemas/host.js';
export * from './schemas/membership.js';
export * from './schemas/device.js';
export * from './schemas/event.js';
export * from './schemas/provision.js';
export * from './schemas/agent-config.js';
export * from './version.js';
export * from './schemas/host-apply.js';
export * from './schemas/bundle.js';
export * from './schemas/backup.js';
export * from './schemas/edge.js';
export * from './schemas/invite.js';
export * from './schemas/link.js';
export * from './schemas/session.js';
export * from './schemas/failover.js';
export * from './schemas/topology.js';
export * from './ipc.js';
export * from './protocol.js';
