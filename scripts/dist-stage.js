// Stages the app for packaging in a folder of its own: the built app (out/, resources/), a package.json
// with the production dependencies only, and those dependencies copied from the development
// node_modules by the lockfile. Native modules tied to Node's ABI are built for Electron's ABI INSIDE
// the stage. Nothing here writes to the development node_modules: a failed native build leaves the CLI
// and the tests working (electron-builder's own rebuild used to delete node_modules/better-sqlite3/build).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { nodeGypScript } from './rebuild-native-for-electron.js'
import { sha256File } from './dist-files.js'

/** Optional dependencies that never ship in the installers: TensorFlow's native builds download
 * libtensorflow (hundreds of MB) at install time and exist only where that download succeeded. */
export const NOT_SHIPPED = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']

/** Native modules built against Node's ABI (not N-API): the stage rebuilds these for Electron. */
export const ABI_NATIVES = [{ name: 'better-sqlite3', binary: 'build/Release/better_sqlite3.node' }]

/** Where the lockfile's `name` resolves from package `from` (a lockfile key, '' for the root). */
function resolveKey(packages, from, name) {
  let base = from
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`
    if (packages[key]) return key
    if (!base) return null
    const nested = base.lastIndexOf('/node_modules/')
    base = nested < 0 ? '' : base.slice(0, nested)
  }
}

/**
 * The lockfile keys of every package the app needs at run time, found by walking the dependency
 * graph from the staged package.json. Optional and peer dependencies count only where installed
 * (sharp lists every platform's binaries; npm installs the host's).
 */
export function productionPackages(root, appPackage) {
  const { packages } = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  const found = new Set()
  const queue = [
    ...Object.keys(appPackage.dependencies ?? {}).map((name) => ({ from: '', name, optional: false })),
    ...Object.keys(appPackage.optionalDependencies ?? {}).map((name) => ({ from: '', name, optional: true }))
  ]
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()
    const key = resolveKey(packages, from, name)
    const installed = key !== null && existsSync(join(root, key, 'package.json'))
    if (!installed) {
      if (optional) continue
      throw new Error(`${name} (needed by ${from || 'the app'}) is not installed: run npm ci`)
    }
    if (found.has(key)) continue
    found.add(key)
    const entry = packages[key]
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ from: key, name: dep, optional: false })
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: key, name: dep, optional: true })
    for (const dep of Object.keys(entry.peerDependencies ?? {})) queue.push({ from: key, name: dep, optional: true })
  }
  return [...found].sort()
}

/** The package.json that ships: what Electron and electron-builder read, and nothing for development. */
export function appPackageJson(devPackage) {
  const optional = Object.fromEntries(
    Object.entries(devPackage.optionalDependencies ?? {}).filter(([name]) => !NOT_SHIPPED.includes(name))
  )
  return {
    name: devPackage.name,
    productName: 'Pictor',
    version: devPackage.version,
    description: devPackage.description,
    license: devPackage.license,
    author: devPackage.author,
    homepage: devPackage.homepage,
    type: devPackage.type,
    // CLI or desktop app, by argument: see build/app-entry.js.
    main: 'app-entry.js',
    dependencies: devPackage.dependencies,
    optionalDependencies: optional
  }
}

// npm settings that say which runtime a native build targets. `npm run dist` passes npm's settings on
// as npm_config_* variables and node-gyp / prebuild-install read them: a Node header folder set for
// development (Debian's npm sets nodedir=/usr) would silently win over Electron's headers.
const TARGET_SETTINGS = ['nodedir', 'target', 'target_arch', 'arch', 'runtime', 'disturl', 'dist_url', 'platform', 'build_from_source', 'devdir']

/** The environment for native builds: npm's target settings removed, its proxy and CA settings kept. */
export function nativeBuildEnv(env = process.env) {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !TARGET_SETTINGS.some((setting) => name.toLowerCase() === `npm_config_${setting}`))
  )
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, env: nativeBuildEnv(), encoding: 'utf8' })
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` }
}

/** The line of a failed tool's output that says why (node-gyp ends with its version and "not ok"). */
function why(output) {
  const lines = output.trim().split('\n').map((line) => line.trim()).filter(Boolean)
  const noise = /^gyp ERR! (cwd|node -v|node-gyp -v|not ok|System|command|stack|\s*at )/
  const reasons = lines.filter((line) => !noise.test(line) && /ERR!|error|Error|not found|Could not/i.test(line))
  return (reasons[0] ?? lines.at(-1) ?? 'no output').replace(/^gyp ERR! /, '')
}

/** Builds one Node-ABI module for Electron inside the stage; returns how, or throws with the tool's last lines. */
function buildForElectron(packageDir, native, options) {
  const { electronVersion, arch, platform, electronHeaders, nativesFrom } = options
  const target = join(packageDir, native.binary)
  mkdirSync(join(target, '..'), { recursive: true })
  if (nativesFrom) {
    const source = join(nativesFrom, native.binary.split('/').pop())
    if (!existsSync(source)) throw new Error(`--natives-from has no ${source}`)
    cpSync(source, target)
    return `copied from ${source}`
  }
  const gyp = ['rebuild', '--release', `--target=${electronVersion}`, `--arch=${arch}`, '--runtime=electron']
  const attempts = []
  if (!electronHeaders) {
    // The published Electron build of the module (needs GitHub), else compile against Electron's headers.
    // prebuild-install (better-sqlite3's own dependency) runs from the development tree; it writes to its cwd, the stage.
    const prebuild = join(options.root, 'node_modules', 'prebuild-install', 'bin.js')
    const args = [prebuild, '--runtime=electron', `--target=${electronVersion}`, `--arch=${arch}`, `--platform=${platform}`]
    attempts.push({ how: 'prebuild-install (published Electron build)', args })
    attempts.push({ how: "node-gyp against Electron's headers", args: [nodeGypScript(), ...gyp, '--dist-url=https://electronjs.org/headers'] })
  } else {
    attempts.push({ how: `node-gyp against ${electronHeaders}`, args: [nodeGypScript(), ...gyp, `--nodedir=${electronHeaders}`] })
  }
  const failures = []
  for (const attempt of attempts) {
    const result = run(process.execPath, attempt.args, packageDir)
    if (result.ok && existsSync(target)) return attempt.how
    failures.push(`${attempt.how}: ${why(result.output)}`)
  }
  throw new Error(`could not build ${native.name} for Electron ${electronVersion} (${platform}-${arch}): ${failures.join(' | ')}`)
}

/** Keeps only what loads at run time from a rebuilt module: its binary and JavaScript. */
function pruneNativeSources(packageDir, native) {
  for (const folder of ['deps', 'src', 'build/Release/obj', 'build/Release/obj.target', 'build/Release/.deps']) {
    rmSync(join(packageDir, folder), { recursive: true, force: true })
  }
  const release = join(packageDir, 'build', 'Release')
  for (const file of ['sqlite3.a', 'test_extension.node']) rmSync(join(release, file), { force: true })
  for (const file of ['Makefile', 'config.gypi', 'binding.Makefile']) rmSync(join(packageDir, 'build', file), { force: true })
  return join(packageDir, native.binary)
}

/**
 * @param {object} options
 * @param {string} options.root repository root
 * @param {string} options.stageRoot empty or disposable folder; the app goes to <stageRoot>/app
 * @param {string} options.electronVersion
 * @param {string} options.platform process.platform of the target
 * @param {string} options.arch x64 | arm64
 * @param {string} [options.electronHeaders] local Electron headers (node-gyp --nodedir)
 * @param {string} [options.nativesFrom] folder with Electron-ABI binaries built elsewhere
 * @returns {{ appDir: string, manifest: object }}
 */
export function stageApp(options) {
  const { root, stageRoot } = options
  const appDir = join(stageRoot, 'app')
  rmSync(stageRoot, { recursive: true, force: true })
  mkdirSync(appDir, { recursive: true })
  for (const file of ['out/main/index.js', 'out/main/cli.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
    if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run npm run build first`)
  }
  cpSync(join(root, 'out'), join(appDir, 'out'), { recursive: true, filter: (source) => !source.endsWith('.map') })
  cpSync(join(root, 'resources', 'icon.png'), join(appDir, 'resources', 'icon.png'))
  cpSync(join(root, 'build', 'app-entry.js'), join(appDir, 'app-entry.js'))
  const devPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const appPackage = appPackageJson(devPackage)
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(appPackage, null, 2)}\n`)

  const keys = productionPackages(root, appPackage)
  const rebuilt = new Map(ABI_NATIVES.map((native) => [`node_modules/${native.name}`, native]))
  const copy = (key) => {
    const source = join(root, key)
    const native = rebuilt.get(key)
    cpSync(source, join(appDir, key), {
      recursive: true,
      dereference: true,
      filter: (path) => {
        const inside = relative(source, path).split(sep)
        // Nested node_modules are packages of their own (copied by their own key); a Node-ABI build is never copied.
        if (inside.includes('node_modules')) return false
        return !(native && inside[0] === 'build')
      }
    })
  }
  // The Node-ABI modules first: when their build fails, it fails before the long copy.
  const natives = []
  for (const native of ABI_NATIVES) {
    const key = `node_modules/${native.name}`
    if (!keys.includes(key)) continue
    copy(key)
    const packageDir = join(appDir, key)
    const how = buildForElectron(packageDir, native, options)
    const binary = pruneNativeSources(packageDir, native)
    natives.push({ module: native.name, file: relative(appDir, binary).split(sep).join('/'), sha256: sha256File(binary), how })
  }
  for (const key of keys) if (!rebuilt.has(key)) copy(key)
  const manifest = {
    electronVersion: options.electronVersion,
    platform: options.platform,
    arch: options.arch,
    packages: keys.length,
    natives
  }
  // Beside the app, not in it: the test and the release log read it; the installers do not need it.
  writeFileSync(join(stageRoot, 'stage-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  return { appDir, manifest }
}
