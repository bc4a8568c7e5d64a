// Shared bits of `npm run bench:train` (see train-bench.ts): paths, settings from the environment,
// child processes with a heartbeat, formatting.
export * from './bench-util'
import { envInt, ROOT } from './bench-util'
import { join } from 'node:path'

export const FMNIST_DIR = '/usr/share/datasets/fashion-mnist'
export const TORCH_SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'seed_cnn_bench.py')


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
  /** Train the PyTorch accuracy reference on the same folders (PICTOR_BENCH_TORCH=0 skips it). */
  torchReference: boolean
  /** PICTOR_BENCH_FULL=1: every CIFAR-10 / Fashion-MNIST image (unless the counts are set), 10 epochs by default. */
  full: boolean
  /** Which parts run (PICTOR_BENCH_PARTS=throughput,cifar,fmnist). */
  parts: Set<string>
}

export function readSettings(): BenchSettings {
  const parts = (process.env.PICTOR_BENCH_PARTS ?? 'throughput,cifar,fmnist').split(',').map((p) => p.trim()).filter(Boolean)
  const full = envFlag('PICTOR_BENCH_FULL')
  return {
    steps: envInt('PICTOR_BENCH_STEPS', 30),
    warmup: envInt('PICTOR_BENCH_WARMUP', 5),
    rounds: envInt('PICTOR_BENCH_ROUNDS', 3),
    cpuSteps: process.env.PICTOR_BENCH_CPU === '0' ? 0 : 2,
    // Full length: every training image: CIFAR-10 4,500 per class + 500 held out for validation (prepareCifar
    // takes them from the 5,000), Fashion-MNIST 5,400 + 540 of its 6,000.
    cifarTrain: envInt('PICTOR_BENCH_CIFAR_TRAIN', full ? 5000 : 1000),
    cifarTest: envInt('PICTOR_BENCH_CIFAR_TEST', 1000),
    fmnistTrain: envInt('PICTOR_BENCH_FMNIST_TRAIN', full ? 5400 : 1000),
    fmnistTest: envInt('PICTOR_BENCH_FMNIST_TEST', 1000),
    epochs: process.env.PICTOR_BENCH_EPOCHS ? envInt('PICTOR_BENCH_EPOCHS', 10) : null,
    augment: envFlag('PICTOR_BENCH_AUGMENT'),
    torchReference: process.env.PICTOR_BENCH_TORCH !== '0',
    full,
    parts: new Set(parts)
  }
}


export const fixed = (value: number | null | undefined, digits = 0) => (value === null || value === undefined ? '—' : value.toFixed(digits))


export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN
}

