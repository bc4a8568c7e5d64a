// The measured accuracy reference of `npm run bench:train` parts 2 and 3: the seed CNN trained in PyTorch
// (test/bench/pytorch/seed_cnn_cifar.py) on the very split folder `pictor train` trained on, with the same
// epochs, batch, optimizer and learning rate, and as many threads as Pictor's training backend used.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { benchThreads, percent, PYTHON, ROOT, runChild, seconds, tail } from './train-bench-common'
import type { SplitFolder } from './train-bench-data'

const SCRIPT = join(ROOT, 'test', 'bench', 'pytorch', 'seed_cnn_cifar.py')

export interface TorchTraining {
  skipped?: string
  torch: string
  blas: string
  threads: number
  epochs: number
  batch: number
  counts: { train: number; val: number; test: number }
  decodeSeconds: number
  trainSeconds: number
  imagesPerSecond: number | null
  valAccuracy: number | null
  testAccuracy: number | null
}

export interface ReferenceOptions {
  epochs: number
  batch: number
  learningRate: number
  size: number
  grayscale: boolean
  /** Pictor's training backend ('wasm', 'cpu', 'tensorflow', …): it decides the threads PyTorch gets. */
  backend: string | null
}

/** wasm and cpu train in one thread in Node; tfjs-node (libtensorflow) uses every core. */
// A CNN on wasm trains data-parallel over one gradient worker per core (PICTOR_TRAIN_WORKERS overrides);
// the cpu backend runs one thread; native TensorFlow every core.
export const trainingThreads = (backend: string | null) =>
  backend === null || backend === 'cpu' ? 1 : backend === 'wasm' ? Number(process.env.PICTOR_TRAIN_WORKERS ?? benchThreads()) || 1 : benchThreads()

export async function trainWithTorch(dataset: SplitFolder, options: ReferenceOptions): Promise<TorchTraining> {
  const skipped = (reason: string) => ({ skipped: reason }) as TorchTraining
  if (!existsSync(PYTHON)) return skipped(`${PYTHON} not found (apt-get install -y python3-torch)`)
  const threads = trainingThreads(options.backend)
  const args = [SCRIPT, '--folder', dataset.folder, '--epochs', String(options.epochs), '--batch', String(options.batch),
    '--lr', String(options.learningRate), '--threads', String(threads), '--size', String(options.size), ...(options.grayscale ? ['--grayscale'] : [])]
  console.log(`  PyTorch reference: seed CNN, ${options.epochs} epochs, batch ${options.batch}, Adam ${options.learningRate}, ${threads} thread(s), same folder …`)
  const started = performance.now()
  const run = await runChild(PYTHON, args, {
    heartbeat: () => console.log(`    … PyTorch training, ${seconds(performance.now() - started)} so far`),
    everyMs: 60_000
  })
  // Its per-epoch lines, on stderr.
  for (const line of run.stderr.split('\n')) if (/^\s+PyTorch epoch/.test(line)) console.log(line)
  if (run.code !== 0) return skipped(`the PyTorch script exited ${run.code ?? run.signal}: ${tail(run.stderr, 500)}`)
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchTraining
  if (result.skipped) return result
  const { train, val, test } = result.counts
  if (train !== dataset.counts.train || test !== dataset.counts.test) {
    throw new Error(`PyTorch read train ${train} / test ${test} images, Pictor's folder has ${dataset.counts.train} / ${dataset.counts.test}`)
  }
  console.log(`  PyTorch reference: test accuracy ${percent(result.testAccuracy)} (validation ${percent(result.valAccuracy)}) after ${result.epochs} epochs ` +
    `on train ${train} / val ${val} / test ${test}; decode ${result.decodeSeconds} s (PIL, once), train ${result.trainSeconds} s ` +
    `(${result.imagesPerSecond ?? '—'} images/s, ${result.threads} thread(s), torch ${result.torch}, BLAS ${result.blas})`)
  return result
}
