import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, HashRouter } from 'react-router';
import { httpApi, ipcApi } from './api/client.js';
import { App, TOKEN_KEY } from './app/App.js';
import { viewOf } from './routes/routes.js';
import { useApp } from './stores/app-store.js';
import './styles.css';

/** `bulwark demo` prints a link with the token in the fragment, which never reaches a server log. */
function takeTokenFromLink(): boolean {
  const fromLink = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  if (!fromLink) return false;
  localStorage.setItem(TOKEN_KEY, decodeURIComponent(fromLink));
  history.replaceState(null, '', location.pathname + location.search);
  return true;
}

function boot(): void {
  if (window.bulwark) {
    useApp.getState().setApi(ipcApi(window.bulwark));
    return;
  }
  takeTokenFromLink();
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) useApp.getState().setApi(httpApi(location.origin, token));
  // The link may also be opened in a tab that already shows the login form.
  window.addEventListener('hashchange', () => {
    if (takeTokenFromLink()) useApp.getState().setApi(httpApi(location.origin, localStorage.getItem(TOKEN_KEY)!));
  });
}

boot();
// Served by `bulwark serve`, pages have paths (/locations/hq); in Electron the UI is a file, so
// the path rides in the fragment (index.html#/locations/hq). Either way a reload stays put.
const inElectron = window.bulwark !== undefined;
const Router = inElectron ? HashRouter : BrowserRouter;
// The first page is the URL's from the first render on (no flash of the landing page).
useApp.setState({ view: viewOf(inElectron ? location.hash.replace(/^#/, '') || '/' : location.pathname) });
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Router>
      <App />
    </Router>
  </StrictMode>,
);
