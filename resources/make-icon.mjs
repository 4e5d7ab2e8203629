// Renders resources/icon.svg to resources/icon.png (1024x1024, transparent corners) with
// Debian's Chromium; electron-builder makes every platform's icon from that PNG. Run it after
// changing the SVG: node resources/make-icon.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = fileURLToPath(new URL('.', import.meta.url));
const browser = await chromium.launch({ executablePath: process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1024 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${readFileSync(`${dir}icon.svg`, 'utf8')}</body></html>`);
  await page.locator('svg').screenshot({ path: `${dir}icon.png`, omitBackground: true });
} finally {
  await browser.close();
}
