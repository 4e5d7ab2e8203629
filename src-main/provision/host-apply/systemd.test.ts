import { describe, expect, test } from 'vitest';
import { EXIT_UNIT_NOT_FOUND, retryAfterReload } from './systemd.js';

// Cases from systemd 252 on the lab image: a reload that ran while a unit's file was away
// leaves an inactive unit "not-found" (systemctl exits 5) and a running one "error" (exit 1,
// "failed to load properly ... reload service manager").
describe('retryAfterReload', () => {
  test.each([
    { name: 'not found while its file is there', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: true, retried: false, retry: true },
    { name: 'failed to load while its file is there', exitCode: 1, loadState: 'error', fileExists: true, retried: false, retry: true },
    { name: 'already retried once', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: true, retried: true, retry: false },
    { name: 'no unit file at all', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: false, retried: false, retry: false },
    { name: 'the unit itself failed to start', exitCode: 1, loadState: 'loaded', fileExists: true, retried: false, retry: false },
    { name: 'exit 5 but loaded (another cause)', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'loaded', fileExists: true, retried: false, retry: false },
    { name: 'a bad unit file (bad-setting)', exitCode: 1, loadState: 'bad-setting', fileExists: true, retried: false, retry: false },
    { name: 'killed by the timeout (no exit code)', exitCode: null, loadState: 'not-found', fileExists: true, retried: false, retry: false },
  ])('$name: retry $retry', ({ retry, name: _name, ...failure }) => {
    expect(retryAfterReload(failure)).toBe(retry);
  });
});
