// Debian's Chromium driven by playwright-core. The flags keep it off the network this
// machine does not have (see the env notes); playwright gives each launch a fresh,
// throwaway profile of its own.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.BULWARK_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing; install it with "apt-get install chromium" (or set BULWARK_CHROMIUM)`;
}

/**
 * Launches Chromium; with `netns`, inside that network namespace (through `ip netns exec`, as
 * root), so it sees the network as a lab client does and nothing of this machine's.
 */
export async function launchBrowser(opts: { netns?: string } = {}): Promise<Browser & AsyncDisposable> {
  let wrapperDir: string | null = null;
  let executablePath = CHROMIUM;
  if (opts.netns) {
    if (!/^[A-Za-z0-9-]+$/.test(opts.netns)) throw new Error(`netns ${opts.netns}: letters, digits and "-" only`);
    wrapperDir = mkdtempSync(join(tmpdir(), 'bulwark-chromium-'));
    executablePath = join(wrapperDir, 'chromium');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${opts.netns} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return Object.assign(browser, {
    [Symbol.asyncDispose]: async () => {
      await browser.close();
      if (wrapperDir) rmSync(wrapperDir, { recursive: true, force: true });
    },
  });
}
