import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Pulumi's runtime state (mock monitor, config, stack) is process-global: one file at a time.
    fileParallelism: false,
    testTimeout: 20_000,
  },
});
