// Electron entry: one window, Core in this process, the contract over IPC. Kept thin: all
// behaviour lives in Core, which is tested in plain Node over HTTP.
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCore } from './system/system.js';
import { ensureDataDir, loadMasterKey } from './platform/data-dir.js';
import { lockDataDir } from './platform/data-dir-lock.js';
import { createLog } from './platform/log.js';
import { CSP } from './transport/http/server.js';
import { serveIpc, streamEvents } from './transport/ipc/main.js';

const log = createLog();

async function start(): Promise<void> {
  // Everything Core writes (database, WAL, keys) is for this user alone.
  process.umask(0o077);
  const paths = ensureDataDir(process.env.BULWARK_DATA_DIR ?? join(app.getPath('userData'), 'data'));
  const unlock = lockDataDir(paths);
  const core = createCore({
    dbFile: paths.db,
    masterKey: loadMasterKey(paths),
    // The runtime and agents are uploaded to hosts as plain files: they live outside the asar.
    agentsDir: join(__dirname, 'agents').replace(`app.asar${sep}`, `app.asar.unpacked${sep}`),
    onInternalError: (name, err) => log.error({ err, procedure: name }, 'procedure failed'),
  });
  await core.start();
  const indexHtml = join(__dirname, 'renderer', 'index.html');
  const uiUrl = pathToFileURL(indexHtml).href;
  const stopIpc = serveIpc(
    core,
    ipcMain,
    (url) => url === uiUrl || url.startsWith(`${uiUrl}#`),
    async (defaultName) => {
      const r = await dialog.showSaveDialog({ title: 'Save the offline bundle', defaultPath: defaultName, filters: [{ name: 'Bulwark bundle', extensions: ['tar.gz'] }] });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
  );

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, allow) => allow(false));

  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Bulwark',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  // The UI never navigates away or opens windows; links to the web go to the system browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== uiUrl) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const stopEvents = streamEvents(core, win.webContents);
  win.on('closed', () => stopEvents());
  app.on('will-quit', () => {
    stopIpc();
    core.close();
    unlock();
  });
  await win.loadFile(indexHtml);
}

app.on('window-all-closed', () => app.quit());
app.whenReady().then(start, (err: unknown) => {
  log.fatal({ err }, 'Bulwark failed to start');
  app.exit(1);
});
