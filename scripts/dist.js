// `npm run dist`: installers for this computer's platform (Linux AppImage + deb, macOS dmg, Windows
// NSIS). Builds when the sources changed, renders the icons, stages the app (dist-stage.js: production
// dependencies only, native modules built for Electron there) and runs electron-builder on the stage.
// The development node_modules is only ever read.
//
//   --dir                  unpacked app only, no installer (what the offline test uses)
//   --no-build             package out/ as it is, even when the sources are newer
//   --arch x64|arm64       default: this computer's
//   --work DIR             stage, icons and installers go here (default: dist/)
//   --electron-dist DIR    an unpacked Electron distribution instead of downloading Electron
//   --electron-headers DIR compile native modules against these Electron headers (no download)
//   --natives-from DIR     use Electron-ABI native binaries built elsewhere (npm run rebuild:electron)
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import builder from 'electron-builder'
import { buildNeeded } from './build-state.js'
import { builderConfig } from './dist-config.js'
import { packageReport } from './dist-report.js'
import { stageApp } from './dist-stage.js'
import { electronVersion } from './electron-binary.js'
import { generateIcons } from './icons.js'

const root = resolve(fileURLToPath(new URL('..', import.meta.url)))
const { values } = parseArgs({
  options: {
    dir: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    arch: { type: 'string', default: process.arch },
    work: { type: 'string', default: join(root, 'dist') },
    'electron-dist': { type: 'string' },
    'electron-headers': { type: 'string' },
    'natives-from': { type: 'string' }
  }
})

function fail(message) {
  console.error(`dist: ${message}`)
  process.exit(1)
}

const reason = values['no-build'] ? null : buildNeeded(root)
if (reason) {
  console.log(`dist: building first (${reason})`)
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) fail('the build failed')
}

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 12)) {
  // @electron/get, @electron/rebuild and node-abi declare Node >= 22.12; the offline --dir run works on 20.19.
  console.log(`dist: Electron's packaging tools want Node >= 22.12 (this is ${process.versions.node}); the release workflow uses Node 22`)
}

const work = resolve(values.work)
const version = electronVersion(root)
const platform = process.platform
const arch = values.arch
mkdirSync(work, { recursive: true })
const icons = await generateIcons(root, join(work, 'icons'))
let appDir
try {
  appDir = stageApp({
    root,
    stageRoot: join(work, 'stage'),
    electronVersion: version,
    platform,
    arch,
    electronHeaders: values['electron-headers'] && resolve(values['electron-headers']),
    nativesFrom: values['natives-from'] && resolve(values['natives-from'])
  }).appDir
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
console.log(`dist: staged the app for Electron ${version} (${platform}-${arch}) in ${appDir}`)

const config = builderConfig({
  root,
  appDir,
  workDir: work,
  icons,
  platform,
  arch,
  electronVersion: version,
  electronDist: values['electron-dist'] && resolve(values['electron-dist'])
})
const targets = builder.Platform.current().createTarget(values.dir ? ['dir'] : null, builder.Arch[arch])
try {
  await builder.build({ projectDir: root, targets, config, publish: 'never' })
} catch (error) {
  fail(`electron-builder: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
}
const report = packageReport(join(work, 'installers'), platform, arch)
writeFileSync(join(work, 'dist-report.json'), `${JSON.stringify(report, null, 2)}\n`)
console.log(
  `dist: app ${report.appMB} MB (app.asar ${report.asarMB} MB + unpacked ${report.unpackedMB} MB)` +
    (report.budgetMB ? ` — budget ${report.budgetMB} MB for ${platform}-${arch}` : '')
)
if (report.budgetMB && report.appMB > report.budgetMB) fail(`the app is over its size budget (${report.appMB} MB > ${report.budgetMB} MB)`)
