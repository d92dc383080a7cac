// catalog's own test settings. Without this file vitest would use the kit's vitest.config.ts, found further up, which
// looks only for the platform's tests ("No test files found").
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starting a PostgreSQL container takes seconds, more on a busy machine or the first time (image pull).
    hookTimeout: 180_000,
    testTimeout: 30_000,
  },
});
