// Shared bits of `npm run bench:train` (see train-bench.ts): paths, settings from the environment,
// child processes with a heartbeat, formatting.
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const PICTOR = join(ROOT, 'bin', 'pictor.js')
export const CACHE = join(tmpdir(), 'pictor-bench')
export const CIFAR_ARCHIVE = resolve(ROOT, '..', 'shared', 'datasets', 'cifar10-jpg.tar.gz')
export const FMNIST_DIR = '/usr/share/datasets/fashion-mnist'
export const PYTHON = '/usr/bin/python3'
export const TORCH_SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'seed_cnn_bench.py')

/** A positive integer from the environment, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return value
}

export function envFlag(name: string): boolean {
  const raw = process.env[name]
  return raw !== undefined && raw !== '' && raw !== '0' && raw.toLowerCase() !== 'false'
}

export interface BenchSettings {
  /** Timed / untimed training steps for the in-process throughput measurement. */
  steps: number
  warmup: number
  /** Interleaved tfjs / PyTorch rounds (the machine is noisy). */
  rounds: number
  /** Timed tfjs cpu-backend steps (0 with PICTOR_BENCH_CPU=0). */
  cpuSteps: number
  /** Images per class: CIFAR-10 training, CIFAR-10 test, Fashion-MNIST training, Fashion-MNIST test. */
  cifarTrain: number
  cifarTest: number
  fmnistTrain: number
  fmnistTest: number
  /** Explicit epochs for every run (PICTOR_BENCH_EPOCHS), else the per-run defaults. */
  epochs: number | null
  augment: boolean
  /** Which parts run (PICTOR_BENCH_PARTS=throughput,cifar,fmnist). */
  parts: Set<string>
}

export function readSettings(): BenchSettings {
  const parts = (process.env.PICTOR_BENCH_PARTS ?? 'throughput,cifar,fmnist').split(',').map((p) => p.trim()).filter(Boolean)
  return {
    steps: envInt('PICTOR_BENCH_STEPS', 30),
    warmup: envInt('PICTOR_BENCH_WARMUP', 5),
    rounds: envInt('PICTOR_BENCH_ROUNDS', 3),
    cpuSteps: process.env.PICTOR_BENCH_CPU === '0' ? 0 : 2,
    cifarTrain: envInt('PICTOR_BENCH_CIFAR_TRAIN', 1000),
    cifarTest: envInt('PICTOR_BENCH_CIFAR_TEST', 1000),
    fmnistTrain: envInt('PICTOR_BENCH_FMNIST_TRAIN', 1000),
    fmnistTest: envInt('PICTOR_BENCH_FMNIST_TEST', 1000),
    epochs: process.env.PICTOR_BENCH_EPOCHS ? envInt('PICTOR_BENCH_EPOCHS', 10) : null,
    augment: envFlag('PICTOR_BENCH_AUGMENT'),
    parts: new Set(parts)
  }
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

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
export const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`)
export const fixed = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? '—' : value.toFixed(digits))

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN
}

/** The last `chars` characters of a child's stderr, for error messages. */
export const tail = (text: string, chars = 2000) => (text.length > chars ? `…${text.slice(-chars)}` : text)
