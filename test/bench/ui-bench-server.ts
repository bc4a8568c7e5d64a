// Browser mode for `npm run bench:ui`: `pictor ui --port 0` in a child process with the benchmark's data
// folder, stopped with SIGTERM (SIGKILL after 5 s); resolves with the URL it prints.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { PICTOR } from './bench-util'

export interface Server {
  url: string
  child: ChildProcess
  stop(): Promise<void>
}

export async function startServer(workDir: string, dataDir: string): Promise<Server> {
  const child = spawn(process.execPath, [PICTOR, 'ui', '--port', '0'], {
    cwd: workDir,
    env: { ...process.env, PICTOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done()
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      child.once('exit', () => {
        clearTimeout(killer)
        done()
      })
      child.kill('SIGTERM')
    })
  try {
    const url = await new Promise<string>((ok, fail) => {
      const lines = createInterface({ input: child.stdout! })
      const timer = setTimeout(() => fail(new Error(`pictor ui printed no URL in 30 s: ${stderr}`)), 30_000)
      lines.on('line', (line) => {
        const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          ok(match[1]!)
        }
      })
      child.once('exit', (code) => fail(new Error(`pictor ui exited with ${code}: ${stderr}`)))
    })
    return { url, child, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
