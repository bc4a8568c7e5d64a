// Stand-ins for what an offline machine cannot download, named as such wherever they appear:
//  - a STAND-IN Electron distribution folder (electron-builder's `electronDist`): not a runnable
//    Electron, but its binary carries a real fuse wire (sentinel, version 1, eight fuses at Electron's
//    defaults), so electron-builder's fuse step runs on it exactly as on the real binary;
//  - a STAND-IN for better-sqlite3 built for Electron's ABI: the Node build plus a trailing marker, so
//    the test can tell the binary the stage was given from the one in the development node_modules.
// The release workflow packages with the real Electron and launches it (.github/workflows/release.yml).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
/** Electron's default fuse states, in wire order ('1' enabled, '0' disabled). */
export const DEFAULT_FUSE_WIRE = '10110001'
export const STAND_IN_MARKER = '\nPICTOR STAND-IN FOR AN ELECTRON-ABI BUILD\n'

export function makeStandInElectronDist(dir: string, electronVersion: string): string {
  const dist = join(dir, 'stand-in-electron-dist')
  mkdirSync(dist, { recursive: true })
  const binary = Buffer.concat([
    Buffer.from('STAND-IN ELECTRON BINARY, NOT RUNNABLE\n'),
    Buffer.from(FUSE_SENTINEL),
    Buffer.from([1, DEFAULT_FUSE_WIRE.length]),
    Buffer.from(DEFAULT_FUSE_WIRE)
  ])
  writeFileSync(join(dist, 'electron'), binary, { mode: 0o755 })
  writeFileSync(join(dist, 'version'), electronVersion)
  writeFileSync(join(dist, 'LICENSE'), 'stand-in\n')
  return dist
}

export function makeStandInElectronNatives(dir: string, nodeBuild: string): string {
  const natives = join(dir, 'stand-in-electron-natives')
  mkdirSync(natives, { recursive: true })
  writeFileSync(join(natives, 'better_sqlite3.node'), Buffer.concat([readFileSync(nodeBuild), Buffer.from(STAND_IN_MARKER)]))
  return natives
}

/** The fuse wire of a (stand-in or real) Electron binary, as '0'/'1' characters. */
export function readFuseWire(binaryPath: string): string {
  const data = readFileSync(binaryPath)
  const at = data.indexOf(FUSE_SENTINEL)
  if (at < 0) throw new Error(`no fuse wire in ${binaryPath}`)
  const wire = at + FUSE_SENTINEL.length
  return data.subarray(wire + 2, wire + 2 + data[wire + 1]!).toString('latin1')
}
