// The page a browser gets when the public service cannot answer: from HAProxy when no edge can
// take the request (its errorfile, a whole HTTP response), and from an edge that has lost its
// link to Core (the edge agent serves the same HTML with a 503). Pure: no input, text out.
// Choices, and why:
// - Plain words for the person holding an invite or connect link: what is wrong, that the link
//   still works, that it is not their fault, and what to do. No status codes, no product names.
// - Self-contained: no image, script, font or stylesheet to fetch (HAProxy's manual: a page that
//   loads more from a dead service only fails again), one inline style.
// - A Content-Security-Policy that allows exactly that style (by its SHA-256) and nothing else,
//   so the page can be framed by no one and runs nothing; no-store, so a browser does not keep
//   showing it once the service is back; Retry-After 30 s.
// - HTTP/1.0 with CRLF line ends and an exact Content-Length, as HAProxy's errorfile wants (it
//   parses the file once at start; it must fit in one buffer, 16 kB, which this does).
import { createHash } from 'node:crypto';

const STYLE =
  'body{font-family:system-ui,sans-serif;line-height:1.5;max-width:34rem;margin:4rem auto;padding:0 1.25rem}' +
  'h1{font-size:1.4rem;margin-bottom:1rem}';

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Please try again in a few minutes</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Please try again in a few minutes</h1>
<p>The VPN's sign-up service cannot reach its control server right now.</p>
<p>Your invite or connect link is still valid; nothing is wrong on your side.</p>
<p>Try again in a few minutes.</p>
</body>
</html>
`;

/** The page's HTML (UTF-8). */
export function renderUnavailablePage(): string {
  return HTML;
}

/** The page's inline style, whose hash the CSP names. */
export function unavailablePageStyle(): string {
  return STYLE;
}

/** The Content-Security-Policy the page is served with: its own inline style and nothing else. */
export function unavailablePageCsp(): string {
  const hash = createHash('sha256').update(STYLE, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; frame-ancestors 'none'; base-uri 'none'`;
}

/** Every header the page is served with, besides its status and Content-Length. */
export function unavailablePageHeaders(): [string, string][] {
  return [
    ['Content-Type', 'text/html; charset=utf-8'],
    ['Cache-Control', 'no-store'],
    ['Retry-After', '30'],
    ['Content-Security-Policy', unavailablePageCsp()],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
  ];
}

/** The whole 503 response, as HAProxy's errorfile reads it. */
export function renderUnavailableHttp(): string {
  const body = renderUnavailablePage();
  const length = new TextEncoder().encode(body).length;
  const head = ['HTTP/1.0 503 Service Unavailable', ...unavailablePageHeaders().map(([k, v]) => `${k}: ${v}`), `Content-Length: ${length}`];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}
