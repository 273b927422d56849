import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Real servers (Prometheus, Redis, RabbitMQ, Azurite) are started once per run by this setup file.
    globalSetup: ['test/servers/global-setup.ts'],
    pool: 'forks',
  },
});
