import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['src-main/**/*.test.ts', 'agents/**/*.test.ts', 'src-renderer/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Builds the lab image before any lab test starts, when the run has lab tests.
    globalSetup: ['./test/helpers/lab-image-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
