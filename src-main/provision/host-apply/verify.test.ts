import { expect, test } from 'vitest';
import { configMismatch } from './verify.js';

// Issue #11: the rollback's check said "not the new …" while it waited for the restored config.
test.each([
  ['new', 'http://127.0.0.1:9462/healthz reports configuration 3feda1d20df1, not the new a3c56ce90b77'],
  ['restored', 'http://127.0.0.1:9462/healthz reports configuration 3feda1d20df1, not the restored a3c56ce90b77'],
] as const)('a mismatch while expecting the %s config says so', (expected, text) => {
  expect(configMismatch('http://127.0.0.1:9462/healthz', '3feda1d20df1'.padEnd(64, '0'), 'a3c56ce90b77'.padEnd(64, '1'), expected)).toBe(text);
});
