import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Engine tests load native libraries and WASM: keep files in separate forks.
    pool: 'forks',
  },
});
