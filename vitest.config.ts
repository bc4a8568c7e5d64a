import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Native modules (better-sqlite3, later sharp) are safest in child processes.
    pool: 'forks',
    testTimeout: 30_000,
    reporters: ['default', './test/unit/skip-reasons-reporter.ts']
  }
})
