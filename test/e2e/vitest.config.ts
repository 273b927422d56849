import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests on a real control plane (`npm run test:e2e`). Separate from the main suite: they need
 * the binaries built by scripts/e2e-binaries.sh and take minutes, not seconds.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../../', import.meta.url)),
    include: ['test/e2e/**/*.test.ts'],
    // One control plane at a time: the machine running CI has two cores.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/e2e/global-setup.ts'],
  },
});
