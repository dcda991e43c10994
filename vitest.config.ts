import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous limits: the suite must pass on a loaded 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Any unhandled rejection or exception fails the run.
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
