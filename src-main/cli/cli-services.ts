import type { AppShell } from '../contract/types'
import { defaultDataDir } from '../core/data-dir'
import { createServices, type Services } from '../services/services'
import { debugging } from './output'

/**
 * The services every command runs on. A bug inside a contract call is reported in one line (the
 * call answers INTERNAL and the command prints that); its stack trace only with --debug.
 */
export function cliServices(transport: AppShell = 'cli'): Services {
  return createServices({
    dataDir: defaultDataDir(),
    transport,
    logError: (method, error) => {
      if (debugging.enabled) console.error(`[pictor] ${method} failed:`, error)
      // A command prints the INTERNAL answer itself; `pictor ui` is a server, whose log says what failed.
      else if (transport === 'browser') console.error(`[pictor] ${method} failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  })
}
