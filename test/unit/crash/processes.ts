import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import type { Envelope } from '../../../src-main/contract/envelope'

// Real `pictor` processes for the kill -9 tests: the built CLI (out/main/cli.js, what bin/pictor.js
// runs; the bin would rebuild first when sources are newer, and a test must never start a build),
// killed with SIGKILL at moments read from the project file itself, and the file checked afterwards.

export const CLI = join(import.meta.dirname, '..', '..', '..', 'out', 'main', 'cli.js')

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run \`npm run build\` before the unit tests`)
}

export interface Running {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves when the process ends, with its exit code (null when killed) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const started: ChildProcess[] = []

/** Kills what a test left running (a failed assertion must not leave a trainer behind). */
export function killLeftovers(): void {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  started.push(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk) => (out += chunk))
  child.stderr!.on('data', (chunk) => (err += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  )
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Runs a command to its end (at most `timeoutMs`). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = startCli(args, env)
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs)
  const { code } = await running.exited
  clearTimeout(timer)
  return { code, stdout: running.stdout(), stderr: running.stderr() }
}

/** SIGKILL, then wait until the process is really gone. */
export async function kill9(running: Running): Promise<void> {
  running.child.kill('SIGKILL')
  const { signal } = await running.exited
  if (signal !== 'SIGKILL') throw new Error(`the process ended on its own (${signal ?? 'exit'}) before the kill: ${running.stderr()}`)
}

/**
 * Polls the project file (a read-only connection of its own, like a second app would have) until
 * `probe` answers something, the process ends first, or the time runs out.
 */
export async function whenProject<T>(
  projectPath: string,
  running: Running,
  what: string,
  probe: (db: Database) => T | undefined,
  timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let ended = false
  void running.exited.then(() => (ended = true))
  for (;;) {
    if (ended) throw new Error(`the process ended before ${what}: ${running.stderr().slice(-500)}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    const value = readProject(projectPath, probe)
    if (value !== undefined) return value
    await new Promise((resolve) => setTimeout(resolve, 15))
  }
}

/** One read with a short-lived read-only connection; a busy or half-created file reads as "not yet". */
export function readProject<T>(projectPath: string, probe: (db: Database) => T | undefined): T | undefined {
  let db: Database | undefined
  try {
    db = new BetterSqlite3(projectPath, { readonly: true, fileMustExist: true, timeout: 1000 })
    return probe(db)
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

/** PRAGMA integrity_check and foreign_key_check of the file as the killed process left it. */
export function integrityOf(projectPath: string): { integrity: unknown; foreignKeys: unknown[] } {
  const db = new BetterSqlite3(projectPath, { fileMustExist: true })
  try {
    return { integrity: db.pragma('integrity_check', { simple: true }), foreignKeys: db.pragma('foreign_key_check') as unknown[] }
  } finally {
    db.close()
  }
}

export interface Ui {
  running: Running
  call(method: string, request?: unknown): Promise<Envelope<unknown>>
}

/** `pictor ui --project FILE --port 0`, with contract calls over HTTP and its one-launch token. */
export async function startUi(projectPath: string, env: NodeJS.ProcessEnv): Promise<Ui> {
  const running = startCli(['ui', '--project', projectPath, '--port', '0'], env)
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pictor ui printed no URL in 60 s: ${running.stderr()}`)), 60_000)
    createInterface({ input: running.child.stdout! }).on('line', (line) => {
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(line)
      if (!match) return
      clearTimeout(timer)
      resolve(new URL(match[1]!))
    })
    void running.exited.then(({ code }) => reject(new Error(`pictor ui exited with ${code}: ${running.stderr()}`)))
  })
  const token = url.searchParams.get('token')!
  return {
    running,
    async call(method, request = {}) {
      const response = await fetch(`${url.origin}/api/call/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(request)
      })
      return (await response.json()) as Envelope<unknown>
    }
  }
}

/** No stack trace, one short message: what a user may read when a command refuses. */
export function isClearError(stderr: string): boolean {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '')
  return lines.length > 0 && lines.length <= 3 && !/^\s+at /m.test(stderr)
}
