// catalog's own test settings. Without this file vitest would use the kit's vitest.config.ts, found further up, which
// looks only for the platform's tests ("No test files found").
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Pact would otherwise try to send usage figures to its makers on every run (the kit runs offline, and asks nobody).
    env: { PACT_DO_NOT_TRACK: 'true' },
    // Starting a PostgreSQL container takes seconds, more on a busy machine or the first time (image pull).
    hookTimeout: 180_000,
    testTimeout: 30_000,
  },
});
