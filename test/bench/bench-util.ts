// What every benchmark script shares: where things are, the environment knobs, running a child
// process, the CIFAR-10 extraction cache, the threads each side of a ratio gets and the run's
// conditions (load, cores, threads per side), small number formatting, and the parts and closing table.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The `pictor` command; PICTOR_BENCH_CLI names another build's bin/pictor.js (a copy made while others edit the checkout). */
export const PICTOR = process.env.PICTOR_BENCH_CLI || join(ROOT, 'bin', 'pictor.js')
/** Datasets extracted or generated once and reused by later runs (and by every benchmark). */
export const CACHE = join(tmpdir(), 'pictor-bench')
export const CIFAR_ARCHIVE = resolve(ROOT, '..', 'shared', 'datasets', 'cifar10-jpg.tar.gz')
/** Debian's python3 (with python3-torch), not whatever python3 comes first on PATH. */
export const PYTHON = '/usr/bin/python3'

/** Something this machine lacks (dataset, base model, PyTorch): printed as SKIPPED with the reason. */
export class SkipError extends Error {}

/** A positive integer from the environment, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return value
}

/**
 * Threads each side of a ratio gets: the cores this process may use. The product sizes ONNX Runtime's
 * session by the same count (availableParallelism, which follows the CPU affinity mask), so on every
 * machine the benchmarks give PyTorch (torch.set_num_threads), ONNX Runtime ({ threads }) and TF.js
 * (PICTOR_FEATURE_WORKERS, one single-threaded wasm backbone per worker) this many. To compare at fewer
 * threads, run the benchmark under `taskset -c 0-N`: the product and the benchmark both see N+1 cores.
 */
export function benchThreads(): number {
  return availableParallelism()
}

/**
 * Images Pictor decodes at once: sharp runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default).
 * The PyTorch end-to-end reference gets as many DataLoader workers.
 */
export function decodeThreads(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.UV_THREADPOOL_SIZE)
  return Number.isInteger(set) && set >= 1 ? Math.min(set, 1024) : 4
}

/**
 * Pictor's decoding, in words: images at once, and libvips' threads per image (sharp's default is 1 on
 * glibc Linux without jemalloc, else one per core), to set beside PyTorch's single-threaded PIL workers.
 */
export const decodeLine = () => `sharp on libuv's ${decodeThreads()} threads, libvips ${sharp.concurrency()} thread(s) per image`

/** "load average 1.20 0.90 0.70 (1/5/15 min)" */
export const loadLine = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min)`

/**
 * The conditions a benchmark's figures were taken under, one line each: the machine (cores, CPU,
 * load average now) and, per side, the threads it used. Every benchmark prints it at its start and
 * with its table (the machine is often shared, and a figure means little without its threads).
 */
export function runConditions(sides: Record<string, string>): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU'
  const lines = [`machine: ${availableParallelism()} cores (${cpu}), ${loadLine()}`]
  for (const [side, threads] of Object.entries(sides)) lines.push(`  ${side}: ${threads}`)
  return lines.join('\n')
}

export interface ChildResult {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
  wallMs: number
}

/**
 * Runs a command to completion, collecting its output; `heartbeat` (if given) is called every
 * `everyMs` while it runs, so long runs show signs of life.
 */
export async function runChild(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; heartbeat?: () => void; everyMs?: number } = {}
): Promise<ChildResult> {
  const started = performance.now()
  const child = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = options.heartbeat ? setInterval(options.heartbeat, options.everyMs ?? 30_000) : null
  try {
    const [code, signal] = await new Promise<[number | null, string | null]>((done, fail) => {
      child.on('error', fail).on('close', (c, s) => done([c, s]))
    })
    return { code, signal, stdout, stderr, wallMs: performance.now() - started }
  } finally {
    if (timer) clearInterval(timer)
  }
}

/** Extracts the CIFAR-10 archive once (same place and marker as bench:import); the `cifar10_jpg` root. */
export async function extractCifar(): Promise<string> {
  const extracted = join(CACHE, 'cifar10')
  if (!existsSync(join(CACHE, 'cifar10.complete'))) {
    if (!existsSync(CIFAR_ARCHIVE)) throw new SkipError(`${CIFAR_ARCHIVE} not found (is ../shared present?)`)
    console.log(`  extracting ${CIFAR_ARCHIVE} → ${extracted} …`)
    await rm(extracted, { recursive: true, force: true })
    await mkdir(extracted, { recursive: true })
    const tar = spawnSync('tar', ['-xzf', CIFAR_ARCHIVE, '-C', extracted], { stdio: 'inherit' })
    if (tar.status !== 0) throw new Error(`tar -xzf failed (exit ${tar.status ?? tar.signal})`)
    await writeFile(join(CACHE, 'cifar10.complete'), 'ok')
  }
  return join(extracted, 'cifar10_jpg')
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
export const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`)
/** The last `chars` characters of a child's stderr, for error messages. */
export const tail = (text: string, chars = 2000) => (text.length > chars ? `…${text.slice(-chars)}` : text)

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export type PartOutcome = { status: 'ok' } | { status: 'skipped' | 'crashed'; message: string }

/**
 * Runs one part of a benchmark, timing it: a SkipError is SKIPPED with its reason, any other error
 * CRASHED (printed with its stack; the caller exits 1 at the end), and the part after it still runs.
 */
export async function runPart(name: string, work: () => Promise<void>): Promise<PartOutcome> {
  console.log(`\n== ${name}`)
  const started = performance.now()
  let outcome: PartOutcome = { status: 'ok' }
  try {
    await work()
  } catch (error) {
    if (error instanceof SkipError) {
      console.log(`  SKIPPED: ${error.message}`)
      outcome = { status: 'skipped', message: error.message }
    } else {
      console.log(`  CRASHED: ${(error as Error).stack ?? String(error)}`)
      outcome = { status: 'crashed', message: (error as Error).message.split('\n')[0]!.slice(0, 160) }
    }
  }
  console.log(`== ${name}: ${seconds(performance.now() - started)}`)
  return outcome
}

/**
 * A benchmark's closing table and exit code. Its parts run through `part`: a skipped or crashed
 * part becomes a row (made by `failedRow`) and a crash makes the exit code 1, so one broken part
 * neither hides the others' figures nor passes unnoticed.
 */
export class BenchTable<Row extends { [K in keyof Row]: string }> {
  readonly rows: Row[] = []
  readonly #crashed: string[] = []
  readonly #started = performance.now()
  /** Threads per side, printed with the table (see runConditions). */
  readonly sides: Record<string, string> = {}

  /** `headers`: each column's heading, in table order. */
  constructor(
    private readonly headers: { [K in keyof Row]: string },
    private readonly failedRow: (name: string, status: 'SKIPPED' | 'CRASHED', message: string) => Row
  ) {}

  async part(name: string, work: () => Promise<void>): Promise<void> {
    const outcome = await runPart(name, work)
    if (outcome.status === 'ok') return
    if (outcome.status === 'crashed') this.#crashed.push(name)
    this.rows.push(this.failedRow(name, outcome.status === 'crashed' ? 'CRASHED' : 'SKIPPED', outcome.message))
  }

  /** Prints the total time, the run's conditions and the table (Markdown); sets exit code 1 if a part crashed. */
  print(): void {
    const keys = Object.keys(this.headers) as (keyof Row)[]
    console.log(`\ntotal ${seconds(performance.now() - this.#started)}\n${runConditions(this.sides)}\n`)
    console.log(`| ${keys.map((key) => this.headers[key]).join(' | ')} |`)
    console.log(`|${keys.map(() => '---|').join('')}`)
    for (const row of this.rows) console.log(`| ${keys.map((key) => row[key]).join(' | ')} |`)
    if (this.#crashed.length) {
      console.log(`\ncrashed: ${this.#crashed.join('; ')}`)
      process.exitCode = 1
    }
  }
}
