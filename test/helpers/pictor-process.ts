import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, chownSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Envelope } from '../../src-main/contract/envelope'

// The real `pictor` bin (the built CLI), run as a user would: in a chosen folder, with a chosen data
// folder, and — where the tests run as root, who can write anything — as an unprivileged user, so
// that file permissions mean what they mean for a real user.

const ROOT = join(import.meta.dirname, '..', '..')
export const PICTOR_BIN = join(ROOT, 'bin', 'pictor.js')

/** Root ignores file modes; `nobody` does not. Elsewhere the tests already run as a plain user. */
export const UNPRIVILEGED: { uid: number; gid: number } | null = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null

/**
 * Lets the unprivileged user reach a test folder: its temp parent is made traversable and `owned`
 * folders become that user's (a data folder it must write to).
 */
export function shareWithUnprivileged(traversable: string[], owned: string[] = []): void {
  for (const dir of traversable) chmodSync(dir, 0o755)
  if (!UNPRIVILEGED) return
  for (const dir of owned) chownSync(dir, UNPRIVILEGED.uid, UNPRIVILEGED.gid)
}

export interface RunOptions {
  dataDir: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Run as the unprivileged user where the tests run as root. */
  unprivileged?: boolean
}

export function runPictor(args: string[], options: RunOptions): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [PICTOR_BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, PICTOR_DATA_DIR: options.dataDir, ...options.env },
    timeout: 60_000,
    ...(options.unprivileged && UNPRIVILEGED ? UNPRIVILEGED : {})
  })
}

/**
 * What a command printed on stderr as lines, without the bin's "building first" notice (printed
 * when the sources are newer than the build, e.g. while someone edits them).
 */
export function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('pictor: building first'))
}

export interface RunningUi {
  origin: string
  token: string
  call(method: string, request?: unknown): Promise<Envelope<unknown>>
  stop(): Promise<void>
}

/** `pictor ui` in its own process; contract calls go over HTTP with the printed token. */
export async function startPictorUi(options: RunOptions): Promise<RunningUi> {
  const child: ChildProcess = spawn(process.execPath, [PICTOR_BIN, 'ui', '--port', '0'], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, PICTOR_DATA_DIR: options.dataDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.unprivileged && UNPRIVILEGED ? UNPRIVILEGED : {})
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pictor ui printed no URL in 30 s: ${stderr}`)), 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
      if (!match) return
      clearTimeout(timer)
      resolve(new URL(match[1]!))
    })
    child.once('exit', (code) => reject(new Error(`pictor ui exited with ${code}: ${stderr}`)))
  })
  const token = url.searchParams.get('token')!
  return {
    origin: url.origin,
    token,
    async call(method, request = {}) {
      const response = await fetch(`${url.origin}/api/call/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(request)
      })
      return (await response.json()) as Envelope<unknown>
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
  }
}
