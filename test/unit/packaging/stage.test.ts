import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { appPackageJson, nativeBuildEnv, productionPackages } from '../../../scripts/dist-stage.js'

// The parts of the stage step that decide what ships and how natives are built, on the real lockfile.
const ROOT = join(import.meta.dirname, '..', '..', '..')
const devPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))

describe('staging', () => {
  it('ships the production dependencies and what they need, never a dev dependency or tfjs-node', () => {
    const app = appPackageJson(devPackage)
    expect(app.main).toBe('app-entry.js')
    expect(Object.keys(app.optionalDependencies)).toEqual(['onnxruntime-node'])
    const keys = productionPackages(ROOT, app)
    for (const name of ['better-sqlite3', 'sharp', 'onnxruntime-node', 'onnxruntime-common', '@tensorflow/tfjs-core', 'protobufjs', 'zod']) {
      expect(keys).toContain(`node_modules/${name}`)
    }
    // sharp's binaries for this platform (optional dependencies count where installed).
    expect(keys).toContain(`node_modules/@img/sharp-${process.platform}-${process.arch}`)
    for (const name of ['electron', 'electron-builder', 'vite', 'vitest', 'typescript', 'svelte', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
      expect(keys).not.toContain(`node_modules/${name}`)
    }
  })

  it("builds natives without npm's target settings (Debian's npm sets nodedir=/usr), keeping its network settings", () => {
    const env = nativeBuildEnv({
      PATH: '/usr/bin',
      npm_config_nodedir: '/usr',
      NPM_CONFIG_TARGET: '20.19.0',
      npm_config_runtime: 'node',
      npm_config_https_proxy: 'http://proxy:3128',
      npm_config_cafile: '/etc/ssl/ca.pem'
    })
    expect(env).toEqual({ PATH: '/usr/bin', npm_config_https_proxy: 'http://proxy:3128', npm_config_cafile: '/etc/ssl/ca.pem' })
  })
})
