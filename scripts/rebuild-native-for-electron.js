// Compiles better-sqlite3 for Electron's ABI into .cache/electron-native/<electron version>/, leaving
// the Node build in node_modules untouched: the CLI, tests and browser mode keep working, and the
// Electron main process loads this copy through better-sqlite3's `nativeBinding` option.
// Needs the Electron headers (downloaded by node-gyp from electronjs.org) and a C++ toolchain.
// Keep the path in step with src-main/electron/native-binding.ts.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronVersion } from './electron-binary.js'

export function nativeBindingFor(root, version) {
  return join(root, '.cache', 'electron-native', version, 'better_sqlite3.node')
}

export function nodeGypScript() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp
  // npm ships node-gyp; find it next to the npm that runs us.
  const npmRoot = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')
  return createRequire(join(npmRoot, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const version = electronVersion(root)
  const work = mkdtempSync(join(tmpdir(), 'pictor-native-'))
  try {
    const source = join(work, 'better-sqlite3')
    cpSync(join(root, 'node_modules', 'better-sqlite3'), source, { recursive: true, dereference: true })
    rmSync(join(source, 'build'), { recursive: true, force: true })
    const result = spawnSync(
      process.execPath,
      [nodeGypScript(), 'rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
      { cwd: source, stdio: 'inherit' }
    )
    if (result.status !== 0) {
      console.error(`Could not build better-sqlite3 for Electron ${version} (see above).`)
      process.exit(result.status ?? 1)
    }
    const target = nativeBindingFor(root, version)
    mkdirSync(dirname(target), { recursive: true })
    cpSync(join(source, 'build', 'Release', 'better_sqlite3.node'), target)
    console.log(`better-sqlite3 for Electron ${version}: ${target}`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main()
