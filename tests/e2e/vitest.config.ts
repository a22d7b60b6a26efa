import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file spawns built bins (the CLI cold-starts in ~0.3 s, the relay in ~1 s); 2 shared cores.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
