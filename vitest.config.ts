import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (test/unit) needs nothing but Node (AWS mocked, no moto, no database, no
 * built bundles); `integration` (test/integration) builds the bundles and starts moto once for the
 * run, and its files start their own PostgreSQL and Redis servers. `npm test` runs both;
 * `npm run test:unit` and `npm run test:integration` pick one.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    // Integration files start their own PostgreSQL/Redis servers; two at a time suits small CI boxes.
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/support/setup-env.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Builds the bundles and starts moto once for the whole run (see the file for why).
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/setup-env.ts', 'test/support/setup-moto.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
