import { describe, expect, test } from 'vitest';
import { EXIT_UNIT_NOT_FOUND, retryAfterReload, staleLoad } from './systemd.js';

// Cases from systemd 252 on the lab image (test/lab/provision-reload.test.ts): a reload that
// missed a unit's file leaves an inactive unit "not-found" (systemctl exits 5, "Unit … not
// found") and a running one "error" (exit 1, "failed to load properly … reload service manager").
describe('staleLoad: reload before the job', () => {
  test.each([
    { loadState: 'not-found', fileExists: true, stale: true },
    { loadState: 'error', fileExists: true, stale: true },
    { loadState: 'loaded', fileExists: true, stale: false },
    { loadState: 'masked', fileExists: true, stale: false },
    { loadState: 'bad-setting', fileExists: true, stale: false },
    { loadState: 'not-found', fileExists: false, stale: false },
  ])('$loadState with file $fileExists: $stale', ({ stale, ...facts }) => expect(staleLoad(facts)).toBe(stale));
});

describe('retryAfterReload: after a failed job', () => {
  test.each([
    { name: 'not found while its file is there', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: true, retried: false, retry: true },
    { name: 'already retried once', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: true, retried: true, retry: false },
    { name: 'no unit file at all', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'not-found', fileExists: false, retried: false, retry: false },
    { name: 'exit 5 but loaded (another cause)', exitCode: EXIT_UNIT_NOT_FOUND, loadState: 'loaded', fileExists: true, retried: false, retry: false },
    { name: 'the unit itself failed to start', exitCode: 1, loadState: 'loaded', fileExists: true, retried: false, retry: false },
    { name: 'the unit failed while a reload by others left it unloaded', exitCode: 1, loadState: 'error', fileExists: true, retried: false, retry: false },
    { name: 'killed by the timeout (no exit code)', exitCode: null, loadState: 'not-found', fileExists: true, retried: false, retry: false },
  ])('$name: retry $retry', ({ retry, name: _name, ...failure }) => {
    expect(retryAfterReload(failure)).toBe(retry);
  });
});
