import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asarFiles, asarHeader, asarRead, listFiles, sha256File, type AsarFile } from '../../../scripts/dist-files.js'
import { electronVersion } from '../../../scripts/electron-binary.js'
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir'
import { DEFAULT_FUSE_WIRE, makeStandInElectronDist, makeStandInElectronNatives, readFuseWire, STAND_IN_MARKER } from './stand-in-electron'

// `npm run dist --dir` offline, against a stand-in Electron distribution (see stand-in-electron.ts):
// staging, pruning and the fuse step are the real ones; launching the packaged app is the release
// workflow's job. `npm test` builds out/ first; --no-build packages it as it is.
const ROOT = join(import.meta.dirname, '..', '..', '..')
const DEV_SQLITE_BUILD = join(ROOT, 'node_modules', 'better-sqlite3', 'build')
const TARGET = { platform: process.platform, arch: process.arch }

function tree(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((file) => [file, sha256File(join(dir, file))]))
}

function dist(work: string, ...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.js'), '--dir', '--no-build', '--work', work, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000
  })
}

/** A Node-ABI addon registers through node_register_module_v<ABI>; an N-API one does not. */
function isAbiSpecific(binary: Buffer): boolean {
  return binary.includes('node_register_module_v') && !binary.includes('napi_register_module_v1')
}

describe.skipIf(TARGET.platform !== 'linux')('npm run dist, offline with a stand-in Electron (linux)', () => {
  let temp: string
  let devBefore: Record<string, string>
  let failed: ReturnType<typeof dist>
  let packaged: ReturnType<typeof dist>
  let resources: string
  let files: AsarFile[]

  beforeAll(() => {
    temp = makeTempDir('pictor-dist-')
    const electronDist = makeStandInElectronDist(temp, electronVersion(ROOT))
    const natives = makeStandInElectronNatives(temp, join(DEV_SQLITE_BUILD, 'Release', 'better_sqlite3.node'))
    devBefore = tree(DEV_SQLITE_BUILD)
    // No Electron headers here: compiling against a folder that has none must fail, and fail harmlessly.
    failed = dist(join(temp, 'failed'), '--electron-dist', electronDist, '--electron-headers', join(temp, 'stand-in-missing-electron-headers'))
    packaged = dist(join(temp, 'work'), '--electron-dist', electronDist, '--natives-from', natives)
    resources = join(temp, 'work', 'installers', 'linux-unpacked', 'resources')
    if (packaged.status === 0) files = asarFiles(asarHeader(join(resources, 'app.asar')))
  }, 400_000)

  afterAll(() => removeTempDir(temp), 120_000)

  it('a native build that fails stops the run in one line and leaves node_modules as it was', () => {
    expect(failed.status).toBe(1)
    expect(failed.stderr.trim().split('\n')).toHaveLength(1)
    expect(failed.stderr).toMatch(/^dist: could not build better-sqlite3 for Electron \d+\.\d+\.\d+ \(linux-/)
    expect(existsSync(join(temp, 'failed', 'installers'))).toBe(false)
    expect(tree(DEV_SQLITE_BUILD)).toEqual(devBefore)
  })

  it('packages the app from the stage', () => {
    expect(packaged.stderr).not.toMatch(/^dist:/m)
    expect(packaged.status, packaged.stdout + packaged.stderr).toBe(0)
    // The development tree is only read, by the failed run and by the successful one.
    expect(tree(DEV_SQLITE_BUILD)).toEqual(devBefore)
  })

  it('app.asar holds the built main, preload and renderer, and nothing from the sources', () => {
    const paths = files.map((file) => file.path)
    for (const file of ['out/main/index.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'app-entry.js']) {
      expect(paths).toContain(file)
    }
    expect(paths.filter((path) => /^(src-main|src-renderer|test|scripts|build)\//.test(path) || path.endsWith('.map'))).toEqual([])
    const pkg = JSON.parse(asarRead(join(resources, 'app.asar'), 'package.json').toString('utf8'))
    expect(pkg.main).toBe('app-entry.js')
    expect(pkg.devDependencies).toBeUndefined()
    expect(Object.keys(pkg.optionalDependencies)).toEqual(['onnxruntime-node'])
    // Development-only packages never reach the app.
    expect(paths.some((path) => /^node_modules\/(electron|electron-builder|vite|vitest|typescript|svelte)\//.test(path))).toBe(false)
  })

  it('native code and WebAssembly are unpacked; Node-ABI modules are the ones the stage produced', () => {
    const manifest = JSON.parse(readFileSync(join(temp, 'work', 'stage', 'stage-manifest.json'), 'utf8'))
    const binaries = files.filter((file) => /\.(node|wasm)$/.test(file.path))
    expect(binaries.length).toBeGreaterThan(3)
    for (const file of binaries) {
      expect(file.unpacked, file.path).toBe(true)
      expect(existsSync(join(resources, 'app.asar.unpacked', file.path)), file.path).toBe(true)
    }
    const abiSpecific = binaries
      .filter((file) => file.path.endsWith('.node'))
      .filter((file) => isAbiSpecific(readFileSync(join(resources, 'app.asar.unpacked', file.path))))
    expect(abiSpecific.map((file) => file.path)).toEqual(manifest.natives.map((native: { file: string }) => native.file))
    for (const native of manifest.natives) {
      const shipped = join(resources, 'app.asar.unpacked', native.file)
      expect(sha256File(shipped)).toBe(native.sha256)
      expect(readFileSync(shipped).subarray(-STAND_IN_MARKER.length).toString()).toBe(STAND_IN_MARKER)
    }
  })

  it('keeps only the target platform and architecture of onnxruntime', () => {
    const onnx = files.filter((file) => file.path.startsWith('node_modules/onnxruntime-node/bin/'))
    expect(onnx.length).toBeGreaterThan(0)
    for (const file of onnx) expect(file.path).toMatch(new RegExp(`^node_modules/onnxruntime-node/bin/napi-v\\d+/${TARGET.platform}/${TARGET.arch}/`))
    const onDisk = listFiles(join(resources, 'app.asar.unpacked', 'node_modules', 'onnxruntime-node', 'bin'))
    expect(onDisk.length).toBeGreaterThan(0)
    for (const path of onDisk) expect(path).toMatch(new RegExp(`^napi-v\\d+/${TARGET.platform}/${TARGET.arch}/`))
  })

  it('flips the fuses in the Electron binary', () => {
    expect(DEFAULT_FUSE_WIRE).toBe('10110001')
    // RunAsNode off, cookie encryption on, NODE_OPTIONS off, --inspect off, asar integrity on, app only from asar.
    expect(readFuseWire(join(temp, 'work', 'installers', 'linux-unpacked', 'pictor-desktop'))).toBe('01001101')
  })

  it('ships the pictor CLI shim, executable', () => {
    const shim = join(resources, 'bin', 'pictor')
    expect(statSync(shim).mode & 0o111).not.toBe(0)
    expect(readFileSync(shim, 'utf8')).toContain('--pictor-cli --')
  })

  it('stays within the size budget', () => {
    const report = JSON.parse(readFileSync(join(temp, 'work', 'dist-report.json'), 'utf8'))
    console.log(`packaged app (${report.target}): app.asar ${report.asarMB} MB + unpacked ${report.unpackedMB} MB = ${report.appMB} MB, budget ${report.budgetMB} MB`)
    if (report.budgetMB !== null) expect(report.appMB).toBeLessThanOrEqual(report.budgetMB)
  })
})
