import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildNeeded } from '../../../scripts/build-state.js'

// What a user sees from npm: `npx pictor --help` prints the help and not one warning, and every
// dependency's install script has been reviewed (allowScripts), so `npm ci` lists none as pending.
const ROOT = join(import.meta.dirname, '..', '..', '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

function npm(args: string[]) {
  return spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
}

describe('npm hygiene', () => {
  it('npx pictor --help prints the help and nothing on stderr', () => {
    // A stale out/ makes the bin build first, and say so on stderr: this checks npm and the CLI, not that.
    expect(buildNeeded(ROOT), 'out/ is older than the sources: run `npm run build` first').toBeNull()
    const result = spawnSync('npx', ['pictor', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Usage: pictor <command>')
    expect(result.stderr).toBe('')
  })

  it('every install script is reviewed: allowed, or denied with its effect kept', () => {
    expect(pkg.allowScripts).toMatchObject({ 'better-sqlite3': true, esbuild: true, 'onnxruntime-node': false })
    // .npmrc only held `onnxruntime-node-install=skip` (an unknown setting to npm 11, warned about on
    // every command); denying the script skips the same CUDA download.
    expect(existsSync(join(ROOT, '.npmrc'))).toBe(false)
    const pending = npm(['approve-scripts', '--allow-scripts-pending'])
    expect(pending.status).toBe(0)
    expect(pending.stdout).toContain('No packages with unreviewed install scripts')
    expect(pending.stderr).toBe('')
  })

  it('engines say the CLI needs Node 20.19', () => {
    expect(pkg.engines.node).toBe('>=20.19')
  })
})
