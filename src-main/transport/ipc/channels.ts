// IPC channel names shared by the Electron main process and the preload.
export const IPC_CALL = 'bulwark:call';
export const IPC_EVENT = 'bulwark:event';
