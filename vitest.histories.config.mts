import { defineConfig } from 'vitest/config';

// `npm run histories:record` (scripts/record-histories.ts): the recording scenarios, not part of `npm test`.
export default defineConfig({
  test: {
    include: ['tests/histories/**/*.record.ts'],
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
