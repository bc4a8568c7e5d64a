// `npm start`: build when the sources changed, then the desktop app where Electron's binary exists,
// browser mode where it does not — and say which, and why.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildNeeded } from './build-state.js'
import { electronVersion, findElectronBinary } from './electron-binary.js'
import { nativeBindingFor } from './rebuild-native-for-electron.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const reason = buildNeeded(root)
if (reason) {
  console.log(`Building Pictor (${reason})…`)
  run(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'])
}

/** Hands the terminal to a child and mirrors its exit; Ctrl+C reaches the child through the group. */
function become(command, commandArgs, env = process.env) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit', env })
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

const electron = process.env.PICTOR_BROWSER_MODE === '1' ? { path: null, reason: 'PICTOR_BROWSER_MODE=1' } : findElectronBinary(root)
if (electron.path) {
  // better-sqlite3 in node_modules is built for Node; Electron needs its own build beside it.
  if (!existsSync(nativeBindingFor(root, electronVersion(root)))) {
    console.log('Building the SQLite module for Electron (once per Electron version)…')
    run(process.execPath, [join(root, 'scripts', 'rebuild-native-for-electron.js')])
  }
  console.log('Starting Pictor (desktop).')
  become(electron.path, [root, ...args])
} else {
  console.log(`Electron is not available here: ${electron.reason}.`)
  console.log('Starting Pictor in browser mode instead — open the URL below in a browser on this computer.')
  become(process.execPath, [join(root, 'bin', 'pictor.js'), 'ui', ...args])
}
