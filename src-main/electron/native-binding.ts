import { join } from 'node:path'

/**
 * Where `npm run rebuild:electron` puts better-sqlite3 compiled for Electron's ABI. Kept outside
 * node_modules so the Node build (CLI, tests, browser mode) and the Electron build coexist.
 * Plain Node module (no electron import) so the rebuild script and tests share the path.
 */
export function electronNativeBindingPath(appRoot: string, electronVersion: string): string {
  return join(appRoot, '.cache', 'electron-native', electronVersion, 'better_sqlite3.node')
}
