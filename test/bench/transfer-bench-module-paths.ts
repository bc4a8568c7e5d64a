// Lets this tsx process import product modules that start workers (`import path from './x?modulePath'`,
// an electron-vite feature): a module-resolution hook answers each such import with the path of the
// worker as built in out/main, the way vitest.config.ts does for the unit tests. Call
// registerBuiltModulePaths() before importing those modules (dynamically). Needs `npm run build`.
// Also: startTsWorker, a worker thread that runs a TypeScript file (tsx does not follow into workers).
import { register } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { ROOT } from './transfer-bench-common'

// Runs on Node's loader thread: plain JavaScript, node: imports only.
const HOOKS = `
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
let out = ''
export function initialize(data) { out = data.out }
export async function resolve(specifier, context, next) {
  if (!specifier.endsWith('?modulePath')) return next(specifier, context)
  const name = basename(specifier.slice(0, -'?modulePath'.length)).replace(/\\.[cm]?[jt]s$/, '')
  // A worker started from a worker is built as a main entry; the others are chunks named <name>-<hash>.js.
  const entry = join(out, name + '.js')
  const chunks = join(out, 'chunks')
  const chunk = existsSync(chunks) ? readdirSync(chunks).find((file) => file.startsWith(name + '-') && file.endsWith('.js')) : undefined
  const path = existsSync(entry) ? entry : chunk ? join(chunks, chunk) : null
  if (!path) throw new Error(name + ' is not built in ' + out + ': run npm run build first')
  return { url: 'data:text/javascript,' + encodeURIComponent('export default ' + JSON.stringify(path)), shortCircuit: true }
}
`

let registered = false

export function registerBuiltModulePaths(): void {
  if (registered) return
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { out: join(ROOT, 'out', 'main') } })
  registered = true
}

/** A worker thread running the TypeScript module `file` (a file: URL), with tsx's loader registered in it first. */
export function startTsWorker(file: URL, workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api')
  const boot = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(file.href)}) })`
  return new Worker(boot, { eval: true, workerData })
}
