// IPC channel names shared by the Electron main process and the preload.
export const IPC_CALL = 'bulwark:call';
export const IPC_EVENT = 'bulwark:event';
/** Save an exported bundle or a backup where the admin chooses (a save dialog in the main process). */
export const IPC_SAVE_DOWNLOAD = 'bulwark:save-download';
