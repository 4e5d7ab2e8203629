// Builds the edge's public pages (agents/edge/web) in memory: URL path → asset. The edge agent
// carries the result inside its own bundle, so a host gets no separate web files to install.
// The pages run under a CSP without 'unsafe-inline' or 'unsafe-eval': the HTML only links the
// scripts and the stylesheet served here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The X25519 WebCrypto browsers (Chrome 133, Firefox 130, Safari 17) are newer still. */
const TARGET = ['chrome120', 'firefox120', 'safari17'];

/**
 * @param {typeof import('esbuild')} esbuild
 * @param {string} root the repository root
 * @returns {Promise<Record<string, { contentType: string; body: string }>>}
 */
export async function buildEdgeWeb(esbuild, root) {
  const dir = join(root, 'agents/edge/web');
  const scripts = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { enroll: join(dir, 'enroll.ts'), connect: join(dir, 'connect.ts') },
    outdir: join(root, 'dist/edge-web'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: TARGET,
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const js = (name) => {
    const out = scripts.outputFiles.find((f) => f.path.endsWith(`/${name}.js`));
    if (!out) throw new Error(`edge web: esbuild wrote no ${name}.js`);
    return out.text;
  };
  const css = await esbuild.transform(await readFile(join(dir, 'style.css'), 'utf8'), { loader: 'css', minify: true, target: TARGET });
  const html = (name) => readFile(join(dir, name), 'utf8');
  return {
    '/': { contentType: HTML, body: await html('index.html') },
    '/enroll': { contentType: HTML, body: await html('enroll.html') },
    // Served for every /connect/<id>; the page reads the id from the path.
    '/connect': { contentType: HTML, body: await html('connect.html') },
    '/assets/enroll.js': { contentType: JS, body: js('enroll') },
    '/assets/connect.js': { contentType: JS, body: js('connect') },
    '/assets/style.css': { contentType: CSS, body: css.code },
  };
}
