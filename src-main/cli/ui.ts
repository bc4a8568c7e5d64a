import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBrowserServer } from '../server/browser-server'
import { cliServices } from './cli-services'
import { CliFailure } from './output'

// out/main/cli.js → out/renderer
const rendererDir = join(fileURLToPath(new URL('.', import.meta.url)), '../renderer')

/** Runs browser mode until SIGINT/SIGTERM; the first stdout line is the URL with its token. */
export async function serveUi(options: { port: number; project?: string }): Promise<number> {
  const services = cliServices('browser')
  if (options.project) {
    const opened = await services.call('project.open', { path: options.project })
    if (!opened.ok) {
      services.close()
      throw new CliFailure(`${opened.error.code}: ${opened.error.message}`)
    }
  }
  const server = await startBrowserServer({ services, rendererDir, port: options.port }).catch((error) => {
    services.close()
    const code = (error as NodeJS.ErrnoException).code
    throw new CliFailure(code === 'EADDRINUSE' ? `port ${options.port} is already in use` : String(error))
  })
  console.log(`Pictor is running at ${server.url}`)
  console.error('Browser mode: open that URL on this computer (or through an SSH tunnel). Ctrl+C stops.')

  return new Promise((resolve) => {
    const stop = () => {
      void server.close().then(() => {
        services.close()
        resolve(0)
      })
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
