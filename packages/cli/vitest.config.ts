import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Some tests spawn built processes; on 2 shared cores a cold start can take seconds, so a slow
    // machine must not turn into a red run. Waits inside tests are bounded on their own.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
