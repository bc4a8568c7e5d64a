// Shared by `npm start` and the `pictor` bin: is out/ older than the sources?
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const SOURCES = ['src-main', 'src-renderer', 'electron.vite.config.ts', 'svelte.config.js', 'package.json']
const OUTPUTS = ['out/main/index.js', 'out/main/cli.js', 'out/main/feature-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html']

function newestMtime(path) {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** Returns why a build is needed, or null when out/ is up to date. */
export function buildNeeded(root) {
  const missing = OUTPUTS.find((file) => !existsSync(join(root, file)))
  if (missing) return `${missing} is missing`
  const built = Math.min(...OUTPUTS.map((file) => statSync(join(root, file)).mtimeMs))
  const changed = SOURCES.filter((source) => existsSync(join(root, source))).find(
    (source) => newestMtime(join(root, source)) > built
  )
  return changed ? `${changed} changed since the last build` : null
}
