// orders' own test settings. Without this file vitest would use the kit's vitest.config.ts, found further up, which
// looks only for the platform's tests ("No test files found").
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Pact would otherwise try to send usage figures to its makers on every run (the kit runs offline, and asks nobody).
    env: { PACT_DO_NOT_TRACK: 'true' },
    // The contract tests start orders itself, and a PostgreSQL for it: seconds, more on a busy machine.
    hookTimeout: 180_000,
    testTimeout: 120_000,
  },
});
