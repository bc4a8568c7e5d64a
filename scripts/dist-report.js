// What `npm run dist` measured: the app's size inside the package against a budget per target.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { megabytes, sizeOf } from './dist-files.js'

/** Megabytes allowed for app.asar + app.asar.unpacked (Electron itself not counted). */
export const SIZE_BUDGET_MB = { 'linux-x64': 180 }

/** The packaged resources folder in electron-builder's unpacked output for the target. */
export function packagedResources(installersDir, platform) {
  const folder = readdirSync(installersDir).find((name) => name.endsWith('-unpacked') || name === 'mac' || name.startsWith('mac-'))
  if (!folder) throw new Error(`no unpacked app in ${installersDir}`)
  const base = join(installersDir, folder)
  if (platform === 'darwin') {
    const app = readdirSync(base).find((name) => name.endsWith('.app'))
    return join(base, app, 'Contents', 'Resources')
  }
  return join(base, 'resources')
}

export function packageReport(installersDir, platform, arch) {
  const resources = packagedResources(installersDir, platform)
  const unpackedDir = join(resources, 'app.asar.unpacked')
  const asar = sizeOf(join(resources, 'app.asar'))
  const unpacked = existsSync(unpackedDir) ? sizeOf(unpackedDir) : 0
  return {
    target: `${platform}-${arch}`,
    resources,
    asarMB: megabytes(asar),
    unpackedMB: megabytes(unpacked),
    appMB: megabytes(asar + unpacked),
    budgetMB: SIZE_BUDGET_MB[`${platform}-${arch}`] ?? null
  }
}
