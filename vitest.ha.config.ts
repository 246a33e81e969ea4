import { defineConfig } from 'vitest/config';

/**
 * The failover tests (`npm run test:ha`): each starts its own Sentinel group, Cluster or primary and
 * standby on ports of its own and takes minutes, so they run apart from `npm test`, one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/ha/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
