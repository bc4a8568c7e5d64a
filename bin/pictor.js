#!/usr/bin/env node
// The `pictor` command. The CLI itself is built with the app (out/main/cli.js) so it shares the
// exact service code; a fresh checkout is built on first use.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildNeeded } from '../scripts/build-state.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const reason = buildNeeded(root)
if (reason) {
  console.error(`pictor: building first (${reason})…`)
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit']
  })
  if (build.status !== 0) {
    console.error('pictor: the build failed; run `npm run build` to see why.')
    process.exit(1)
  }
}
try {
  await import(pathToFileURL(join(root, 'out', 'main', 'cli.js')).href)
} catch (error) {
  // The CLI could not even load (a native module built for another Node, a damaged install): one
  // line, as for every other failure; the stack trace only with --debug.
  console.error(`pictor: could not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
  if (process.argv.includes('--debug')) console.error(error)
  process.exitCode = 1
}
