import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Scans the logs of every process each test file started for credentials (tests/support/log-scan.ts).
    setupFiles: ['tests/support/log-scan-setup.ts'],
    pool: 'forks',
    // Two cores: one test file at a time keeps the Temporal server, Postgres and workers responsive.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './tests/summary-reporter.ts'],
  },
});
