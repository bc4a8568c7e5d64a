// `npm run bench`: runs every test/bench/*-bench.ts in turn, each in its own process, and exits
// non-zero if any of them crashed (a benchmark below its target still exits 0).
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..', '..')
const tsx = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx')
const benches = readdirSync(here).filter((name) => name.endsWith('-bench.ts')).sort()

const failed: string[] = []
for (const name of benches) {
  console.log(`\n### ${name}`)
  const started = performance.now()
  const run = spawnSync(tsx, [join(here, name)], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (run.status === 0) console.log(`### ${name} finished in ${seconds} s`)
  else {
    failed.push(name)
    console.log(`### ${name} FAILED (${run.error?.message ?? `exit ${run.status ?? run.signal}`}) after ${seconds} s`)
  }
}
console.log(`\n${benches.length - failed.length}/${benches.length} benchmarks ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}`)
process.exit(failed.length ? 1 : 0)
