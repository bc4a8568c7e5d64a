// onnxruntime-node ships its binaries for every platform (about 290 MB); an installer needs one.
// The `files` filter (onnxruntimeExclusions) keeps the others out of app.asar; the afterPack step
// below removes any that still reached app.asar.unpacked and fails the build if the archive lists one.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { asarFiles, asarHeader } from './dist-files.js'

const ONNX_BIN = 'node_modules/onnxruntime-node/bin'
// electron-builder's Arch enum, by value.
const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal']

/** Every <napi>/<platform>/<arch> folder of onnxruntime-node's binaries under `appDir`. */
export function onnxruntimeTargets(appDir) {
  const bin = join(appDir, ONNX_BIN)
  if (!existsSync(bin)) return []
  const targets = []
  for (const napi of readdirSync(bin)) {
    for (const platform of readdirSync(join(bin, napi))) {
      for (const arch of readdirSync(join(bin, napi, platform))) targets.push({ napi, platform, arch, path: `${ONNX_BIN}/${napi}/${platform}/${arch}` })
    }
  }
  return targets
}

/** `files` patterns leaving out every other platform's and architecture's binaries. */
export function onnxruntimeExclusions(appDir, platform, arch) {
  return onnxruntimeTargets(appDir)
    .filter((target) => target.platform !== platform || target.arch !== arch)
    .map((target) => `!${target.path}/**`)
}

/** True when `path` (relative to the app) is an onnxruntime binary for another platform or architecture. */
export function isForeignOnnxruntime(path, platform, arch) {
  const match = /^node_modules\/onnxruntime-node\/bin\/[^/]+\/([^/]+)\/([^/]+)\//.exec(path)
  return match !== null && (match[1] !== platform || match[2] !== arch)
}

/** electron-builder afterPack hook. */
export async function pruneOtherPlatforms(context) {
  const platform = context.electronPlatformName
  const arch = ARCH_NAMES[context.arch]
  const resources =
    platform === 'darwin' || platform === 'mas'
      ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources')
      : join(context.appOutDir, 'resources')
  const unpacked = join(resources, 'app.asar.unpacked')
  for (const target of onnxruntimeTargets(unpacked)) {
    if (target.platform !== platform || target.arch !== arch) rmSync(join(unpacked, target.path), { recursive: true, force: true })
  }
  // Files inside the archive cannot be removed after packing: they must never get in.
  const listed = asarFiles(asarHeader(join(resources, 'app.asar'))).filter((file) => isForeignOnnxruntime(file.path, platform, arch))
  if (listed.length > 0) {
    throw new Error(`app.asar lists onnxruntime binaries of another platform (${listed[0].path}): fix the files filter in scripts/dist-config.js`)
  }
}
