// Finds Electron's binary WITHOUT require('electron'): that call tries to download it when it is
// missing, which hangs or fails on an offline machine.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** @returns {{ path: string } | { path: null, reason: string }} */
export function findElectronBinary(root) {
  const packageDir = join(root, 'node_modules', 'electron')
  if (!existsSync(join(packageDir, 'package.json'))) {
    return { path: null, reason: 'the electron package is not installed (run npm ci)' }
  }
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  const pathFile = join(packageDir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  if (override) {
    const candidate = join(override, relative ?? 'electron')
    if (existsSync(candidate)) return { path: candidate }
    return { path: null, reason: `ELECTRON_OVERRIDE_DIST_PATH has no Electron binary (${candidate})` }
  }
  if (!relative) {
    return {
      path: null,
      reason:
        "Electron's binary was never downloaded (electron 45 fetches it on first use, and this machine cannot reach its download host)"
    }
  }
  const candidate = join(packageDir, 'dist', relative)
  if (!existsSync(candidate)) return { path: null, reason: `Electron's binary is missing at ${candidate}` }
  return { path: candidate }
}

export function electronVersion(root) {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
}
