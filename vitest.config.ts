import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one fork fewer than the cores: one fork on CI's two, and the files then
    // run one after another while the longest ones (the default preset's check, the lifecycle
    // census) wait on their worker threads. Two forks keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
