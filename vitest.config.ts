import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['platform/test/**/*.test.ts'],
    // The platform tests start real processes, containers and ports: one file at a time keeps them from fighting over 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The JSON report lets .ci/run print per-runtime counts; people read the default one.
    reporters: ['default', 'json'],
    outputFile: { json: '.tall/test-results.json' },
  },
});
