import { existsSync, readdirSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'

/**
 * electron-vite turns `import path from './x?modulePath'` into the path of a separately bundled
 * worker. Tests run the same built worker (`npm test` builds first), so the code under test is what
 * ships; a missing build is a clear error, not a silent fallback.
 */
function builtModulePaths(): Plugin {
  const chunks = resolve('out/main/chunks')
  return {
    name: 'pictor:built-module-paths',
    enforce: 'pre',
    resolveId(id) {
      if (id.endsWith('?modulePath')) return `\0module-path:${basename(id.replace(/\?modulePath$/, ''), '.ts')}`
      return null
    },
    load(id) {
      if (!id.startsWith('\0module-path:')) return null
      const name = id.slice('\0module-path:'.length)
      // A worker started from a worker is built as a main entry (see electron.vite.config.ts).
      const entry = resolve('out/main', `${name}.js`)
      if (existsSync(entry)) return `export default ${JSON.stringify(entry)}`
      const built = existsSync(chunks) ? readdirSync(chunks).find((file) => file.startsWith(`${name}-`)) : undefined
      if (!built) throw new Error(`${name} is not built: run \`npm run build\` before the unit tests`)
      return `export default ${JSON.stringify(join(chunks, built))}`
    }
  }
}

export default defineConfig({
  plugins: [builtModulePaths()],
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Native modules (better-sqlite3, sharp) are safest in child processes.
    pool: 'forks',
    testTimeout: 30_000,
    reporters: ['default', './test/unit/skip-reasons-reporter.ts']
  }
})
