import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * Where Pictor keeps its own files (recent projects, base models, caches) when not told otherwise.
 * PICTOR_DATA_DIR wins everywhere, so tests and portable installs never touch the user's profile.
 * Electron passes app.getPath('userData') instead of calling this.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.PICTOR_DATA_DIR) return env.PICTOR_DATA_DIR
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Pictor')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Pictor')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Pictor')
}
