// electron-builder's configuration for `npm run dist`, as code: the stage folder, the icons folder and
// (offline) a stand-in Electron distribution vary by run. Every packaged file comes from the stage
// (scripts/dist-stage.js), never from the development tree.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { onnxruntimeExclusions, pruneOtherPlatforms } from './dist-prune.js'

/** Files that must live outside app.asar: native code is loaded by the OS, which cannot read an asar. */
export const ASAR_UNPACK = [
  '**/*.node',
  '**/*.wasm',
  '**/*.{so,dylib,dll}',
  '**/*.so.*',
  // Each binding loads the shared libraries beside it.
  'node_modules/onnxruntime-node/bin/**',
  'node_modules/@img/**'
]

/** The fuses flipped in the Electron binary (https://www.electronjs.org/docs/latest/tutorial/fuses). */
export const FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true
}

/** The deb's post-install script: electron-builder's own, plus /usr/bin/pictor for the CLI shim. */
function debAfterInstall(workDir) {
  const require = createRequire(import.meta.url)
  const templates = join(dirname(require.resolve('app-builder-lib/package.json')), 'templates', 'linux')
  const script = `${readFileSync(join(templates, 'after-install.tpl'), 'utf8').trimEnd()}

# Pictor: the command-line interface (resources/bin/pictor runs it in the app's binary).
ln -sf '/opt/\${sanitizedProductName}/resources/bin/pictor' '/usr/bin/pictor'
`
  const removal = `${readFileSync(join(templates, 'after-remove.tpl'), 'utf8').trimEnd()}

rm -f '/usr/bin/pictor'
`
  const afterInstall = join(workDir, 'deb-after-install.sh')
  const afterRemove = join(workDir, 'deb-after-remove.sh')
  writeFileSync(afterInstall, script)
  writeFileSync(afterRemove, removal)
  return { afterInstall, afterRemove }
}

/**
 * @param {object} options
 * @param {string} options.root repository root
 * @param {string} options.appDir the staged app (scripts/dist-stage.js)
 * @param {string} options.workDir where the installers and scratch files go
 * @param {{ png: string, ico: string, icns: string, png512: string }} options.icons generated icons (scripts/icons.js)
 * @param {string} options.platform process.platform of the target
 * @param {string} options.arch x64 | arm64
 * @param {string} options.electronVersion
 * @param {string} [options.electronDist] an unpacked Electron distribution to use instead of downloading one
 */
export function builderConfig({ root, appDir, workDir, icons, platform, arch, electronVersion, electronDist }) {
  return {
    appId: 'app.pictor.desktop',
    productName: 'Pictor',
    copyright: 'Copyright © Pictor maintainers',
    electronVersion,
    ...(electronDist ? { electronDist } : {}),
    directories: { app: appDir, output: join(workDir, 'installers'), buildResources: join(root, 'build') },
    files: [
      '**/*',
      '!**/*.map',
      '!**/*.{md,markdown,ts,mts,cts}',
      '!**/{test,tests,__tests__,example,examples}/**',
      ...onnxruntimeExclusions(appDir, platform, arch)
    ],
    asar: true,
    asarUnpack: ASAR_UNPACK,
    // The stage already built the native modules for Electron: electron-builder must not rebuild anything.
    npmRebuild: false,
    nodeGypRebuild: false,
    buildDependenciesFromSource: false,
    // Flipping fuses breaks the ad-hoc signature that arm64 macOS requires of every binary: re-sign ad hoc.
    electronFuses: { ...FUSES, resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64' },
    afterPack: pruneOtherPlatforms,
    extraResources: [{ from: join(root, 'build', 'bin'), to: 'bin', filter: platform === 'win32' ? ['pictor.cmd'] : ['pictor'] }],
    fileAssociations: [
      {
        ext: 'pictor',
        name: 'Pictor project',
        description: 'Pictor project',
        mimeType: 'application/x-pictor-project',
        role: 'Editor',
        icon: platform === 'darwin' ? icons.icns : platform === 'win32' ? icons.ico : icons.png512
      }
    ],
    linux: {
      target: ['AppImage', 'deb'],
      category: 'Graphics',
      executableName: 'pictor-desktop',
      icon: icons.png,
      maintainer: 'Pictor maintainers <maintainers@users.noreply.r-seed-fae8c8aa.example>'
    },
    deb: debAfterInstall(workDir),
    mac: { target: 'dmg', category: 'public.app-category.developer-tools', icon: icons.icns },
    win: { target: 'nsis', icon: icons.ico },
    nsis: { oneClick: false, allowToChangeInstallationDirectory: true }
  }
}
