import { defineConfig } from 'vitest/config';

// Tests import sibling packages from their TypeScript sources (the "nimbus:source"
// export condition), so a change in core is seen without rebuilding it first.
export default defineConfig({
  resolve: { conditions: ['nimbus:source'] },
  ssr: { resolve: { conditions: ['nimbus:source'] } },
  test: {
    include: ['src/**/*.test.ts', '*.test.ts', '**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
