// `npm run bench:train`: training benchmarks. Prints figures and ratios, not pass/fail; exits 0 unless
// something crashed (a missing dataset or PyTorch is printed as SKIPPED with the reason).
//   1. throughput of the seed CNN (32×32×3, batch 64, Adam 1e-3): tfjs wasm with the product's trainLoop,
//      in this process (one thread) and data-parallel over one gradient worker per core (what pictor train
//      runs), against PyTorch on the CPU with 1 and with every core's threads (Debian python3-torch,
//      /usr/bin/python3); the ratios at equal threads (goal ≥ 0.5× on every core), a per-phase and
//      per-kernel split of a wasm step, tfjs cpu for reference
//   2. CIFAR-10 through the product path (pictor create / import / train --json) on a Keras-layout folder
//      train/ val/ test/ (val: a held-out tenth of the training count, from train), and the reference
//      measured on the same folder: the seed CNN in PyTorch (test/bench/pytorch/seed_cnn_cifar.py, same
//      epochs, batch 64, Adam 1e-3, as many threads as Pictor's backend). The seed's printed ~80% (50,000
//      images) is shown beside it as context only
//   3. Fashion-MNIST (Debian dataset-fashion-mnist) as 28×28 greyscale PNG files, same path, --size 28
//      --grayscale, with the same PyTorch reference
//   4. cifar-full, only when named (PICTOR_BENCH_PARTS=cifar-full; 2-3 h on 2 cores): the seed's experiment
//      at full size, 10 epochs plain and 20 augmented, Pictor and PyTorch on the same split lists, side by
//      side with goals (train-bench-cifar-full.ts has its own knobs)
// Environment (all optional):
//   PICTOR_BENCH_FULL=1          full length: every training image (CIFAR-10 45,000 + 5,000 validation, Fashion-
//                                MNIST 54,000 + 5,400) and the whole test sets, 10 epochs; a few hours on 2 cores
//   PICTOR_BENCH_TORCH=0         skip the PyTorch accuracy references of parts 2 and 3
//   PICTOR_BENCH_CIFAR_TRAIN=N   CIFAR-10 training images per class (default 1000, i.e. 10,000 of 50,000)
//   PICTOR_BENCH_CIFAR_TEST=N    CIFAR-10 test images per class (default 1000 = the whole test set)
//   PICTOR_BENCH_FMNIST_TRAIN=N  Fashion-MNIST training images per class (default 1000)
//   PICTOR_BENCH_FMNIST_TEST=N   Fashion-MNIST test images per class (default 1000 = the whole test set)
//   PICTOR_BENCH_EPOCHS=N        epochs of every training run (default 10; 20 for the augmented run)
//   PICTOR_BENCH_AUGMENT=1       also train CIFAR-10 with augmentation (the seed's ~86% variant)
//   PICTOR_BENCH_STEPS=N         timed steps per round in part 1 (default 30; PICTOR_BENCH_WARMUP, default 5)
//   PICTOR_BENCH_ROUNDS=N        interleaved tfjs / PyTorch rounds in part 1 (default 3)
//   PICTOR_BENCH_CPU=0           skip the tfjs cpu-backend reference (2 steps, about a minute each)
//   PICTOR_BENCH_PARTS=list      which parts run: throughput,cifar,fmnist (the default), cifar-full
// Datasets are cached under os.tmpdir()/pictor-bench.
import * as tf from '@tensorflow/tfjs-core'
import { type BenchSettings, BenchTable, benchThreads, CACHE, percent, readSettings, runConditions, seconds } from './train-bench-common'
import { benchCifarFull } from './train-bench-cifar-full'
import { prepareCifar, prepareFashionMnist, type SplitFolder } from './train-bench-data'
import { type PictorTraining, printTraining, trainWithPictor } from './train-bench-pictor'
import { type TorchTraining, trainingThreads, trainWithTorch } from './train-bench-reference'
import { benchThroughput, GOAL, type ThroughputResult } from './train-bench-throughput'

interface Row {
  part: string
  setting: string
  result: string
  reference: string
  time: string
}

const table = new BenchTable<Row>(
  { part: 'benchmark', setting: 'what ran', result: 'result', reference: 'reference', time: 'time' },
  (part, result, reference) => ({ part, setting: '', result, reference, time: '' })
)

function throughputRows(r: ThroughputResult, ms: number, settings: BenchSettings): void {
  const steps = `batch 64, 32×32×3, Adam 1e-3; ${settings.rounds} rounds × ${settings.steps} steps, ${settings.warmup} warm-up steps excluded`
  const th = (n: number | string) => `${n} thread${String(n) === '1' ? '' : 's'}`
  const rate = (best: number | null, pooled: number | null) =>
    best === null || pooled === null ? 'SKIPPED' : `${best.toFixed(0)} images/s (pooled median ${pooled.toFixed(0)})`
  table.rows.push({ part: `1 tfjs wasm trainLoop, ${th(r.threads)}`, setting: steps, result: rate(r.tfjsBest, r.tfjsPooled), reference: r.tfjs[0]!.label, time: seconds(ms) })
  if (r.torchSkipped) table.rows.push({ part: '1 PyTorch CPU', setting: steps, result: 'SKIPPED', reference: r.torchSkipped, time: '' })
  for (const f of r.torch) {
    const [threads, layout] = f.config.split(':')
    const role =
      f.config === `${r.threads}:nchw`
        ? ' (the reference for one tfjs thread)'
        : r.parallel && f.config === `${r.manyThreads}:nchw`
          ? ' (the reference for the data-parallel trainer)'
          : Number(threads) !== r.threads ? ' (context, no ratio)' : ''
    table.rows.push({
      part: `1 PyTorch CPU ${th(threads!)} ${layout}`,
      setting: `${f.rounds} round${f.rounds === 1 ? '' : 's'} × ${settings.steps} steps`,
      result: rate(f.best, f.pooled),
      reference: `torch ${r.torchVersion ?? '?'}${role}`,
      time: ''
    })
  }
  const verdict = (ratio: number | null) => (ratio === null ? '' : ratio >= GOAL ? ' (met)' : ' (below)')
  table.rows.push({
    part: `1 ratio tfjs/PyTorch, ${th(r.threads)} each`,
    setting: `tfjs wasm ${th(r.threads)} vs PyTorch ${th(r.threads)} NCHW: best rounds (pooled medians)`,
    result: r.ratioBest === null ? '—' : `${r.ratioBest.toFixed(2)}× (${r.ratioPooled!.toFixed(2)}×)`,
    reference: 'one thread each (the goal is for every core, below)' +
      (r.contendedRounds ? `; UNRELIABLE: PyTorch ${th(r.manyThreads)} lost to 1 thread in ${r.contendedRounds} round(s) (CPU contention)` : ''),
    time: ''
  })
  if (r.parallel) {
    table.rows.push({ part: `1 tfjs wasm data-parallel, ${r.manyThreads} gradient workers`, setting: steps, result: rate(r.parallel.best, r.parallel.pooled), reference: 'what pictor train runs for a CNN on wasm', time: '' })
    table.rows.push({
      part: `1 ratio tfjs data-parallel/PyTorch, ${th(r.manyThreads)} each`,
      setting: `tfjs ${r.manyThreads} gradient workers vs PyTorch ${th(r.manyThreads)} NCHW: best rounds (pooled medians)`,
      result: r.parallel.ratioBest === null ? '—' : `${r.parallel.ratioBest.toFixed(2)}× (${r.parallel.ratioPooled!.toFixed(2)}×)`,
      reference: `goal ≥ ${GOAL}×${verdict(r.parallel.ratioBest)}` +
        (r.contendedRounds ? `; UNRELIABLE: PyTorch ${th(r.manyThreads)} lost to 1 thread in ${r.contendedRounds} round(s) (CPU contention)` : ''),
      time: ''
    })
  }
  const channelsLast = r.torch.find((f) => f.config === `${r.threads}:channels_last`)
  if (channelsLast) {
    table.rows.push({
      part: `1 ratio tfjs/PyTorch channels_last, ${th(r.threads)} each`,
      setting: `tfjs wasm ${th(r.threads)} vs PyTorch ${th(r.threads)} channels_last, best rounds`,
      result: `${(r.tfjsBest / channelsLast.best).toFixed(2)}×`,
      reference: 'context',
      time: ''
    })
  }
  if (r.cpu) {
    table.rows.push({ part: '1 tfjs cpu trainLoop, 1 thread', setting: `${r.cpu.stepMs.length} steps`, result: `${r.cpu.imagesPerSecond.toFixed(1)} images/s`, reference: 'reference only', time: '' })
  }
}

function trainingRow(part: string, run: PictorTraining, reference: string): void {
  const i = run.imported
  table.rows.push({
    part: `${part}, Pictor (${run.backend ?? '?'}, ${trainingThreads(run.backend)} thread(s))`,
    setting: `train ${i.train} / val ${i.val} / test ${i.test}, ${run.epochs} epoch${run.epochs === 1 ? '' : 's'}, ${run.trainArgs.join(' ')}`,
    result: `test ${percent(run.testAccuracy)} (val ${percent(run.valAccuracy)}), ${run.imagesPerSecond ?? '—'} images/s`,
    reference,
    time: `import ${seconds(run.importMs)}, train ${seconds(run.trainMs)}`
  })
}

function referenceRow(part: string, torch: TorchTraining, context: string): void {
  if (torch.skipped) {
    table.rows.push({ part: `${part}, PyTorch reference`, setting: '', result: 'SKIPPED', reference: torch.skipped, time: '' })
    return
  }
  const c = torch.counts
  table.rows.push({
    part: `${part}, PyTorch reference (${torch.threads} thread(s))`,
    setting: `the same folder: train ${c.train} / val ${c.val} / test ${c.test}, ${torch.epochs} epochs, batch ${torch.batch}, Adam 1e-3`,
    result: `test ${percent(torch.testAccuracy)} (val ${percent(torch.valAccuracy)}), ${torch.imagesPerSecond ?? '—'} images/s`,
    reference: `measured in this run (torch ${torch.torch}, BLAS ${torch.blas})${context ? `; ${context}` : ''}`,
    time: `decode ${torch.decodeSeconds} s (PIL, once), train ${torch.trainSeconds} s`
  })
}

/** Pictor on the folder, then (unless turned off) the PyTorch reference on the same folder; `context`: a figure printed elsewhere, shown beside. */
async function train(part: string, dataset: SplitFolder, args: string[], epochs: number, settings: BenchSettings, context: string, torch: boolean): Promise<void> {
  const { train: n, val, test } = dataset.counts
  console.log(`  ${part}: ${dataset.folder} (train ${n}, val ${val}, test ${test}; ${dataset.classes.length} classes), ${epochs} epochs`)
  const run = await trainWithPictor(part, dataset, args, epochs)
  if (!(torch && settings.torchReference)) {
    printTraining(run, context)
    trainingRow(part, run, context || 'no measured reference (PICTOR_BENCH_TORCH=0 or not comparable)')
    return
  }
  const size = Number(args[args.indexOf('--size') + 1])
  const reference = await trainWithTorch(dataset, { epochs, batch: 64, learningRate: 0.001, size, grayscale: args.includes('--grayscale'), backend: run.backend })
  const measured = reference.skipped ? `PyTorch SKIPPED (${reference.skipped})` : `PyTorch on the same images: test ${percent(reference.testAccuracy)} (row below)`
  printTraining(run, measured)
  trainingRow(part, run, measured)
  referenceRow(part, reference, context)
}

async function main(): Promise<void> {
  const settings = readSettings()
  Object.assign(table.sides, {
    'tfjs (part 1)': `wasm trainLoop in this thread (1 thread: the wasm backend runs one thread in Node), then data-parallel over ${benchThreads()} gradient workers as pictor train runs it`,
    'PyTorch (part 1)': `torch.set_num_threads(1) against one tfjs thread; ${benchThreads()} threads against the data-parallel trainer (the goal)`,
    'pictor train (parts 2, 3)': `the seed CNN on its best backend (wasm: data-parallel, ${trainingThreads('wasm')} gradient workers) in a worker, decoding on libuv's pool`,
    'PyTorch reference (parts 2, 3)': 'as many threads as pictor train\'s backend uses; images decoded once before training',
    'cifar-full (part 4, only when named)': `pictor train on its own choice of backend; PyTorch torch.set_num_threads(${benchThreads()}), run after it, never at once`
  })
  console.log(`training benchmark: node ${process.version}, tfjs-core ${tf.version_core}, cache ${CACHE}` +
    `${settings.full ? ', FULL LENGTH (PICTOR_BENCH_FULL=1)' : ''}\n${runConditions(table.sides)}`)
  const base = ['--batch', '64', '--optimizer', 'adam', '--lr', '0.001']

  if (settings.parts.has('throughput')) {
    await table.part('1. seed CNN training throughput, tfjs vs PyTorch', async () => {
      const t0 = performance.now()
      const result = await benchThroughput(settings)
      throughputRows(result, performance.now() - t0, settings)
    })
  }

  if (settings.parts.has('cifar')) {
    await table.part('2. CIFAR-10 through pictor create / import / train', async () => {
      const dataset = await prepareCifar(settings.cifarTrain, settings.cifarTest)
      const epochs = settings.epochs ?? 10
      await train('2 CIFAR-10 baseline', dataset, [...base, '--size', '32'], epochs, settings, 'the seed\'s printed ~80% (50,000 training images, 10 epochs), not measured here', true)
      if (settings.augment) {
        const augmented = settings.epochs ?? 20
        // No PyTorch run: it would need Pictor's augmentations reproduced; the seed's figure is context only.
        await train('2 CIFAR-10 augmented', dataset, [...base, '--size', '32', '--augment'], augmented, settings, 'the seed\'s printed ~86% (50,000 training images, 20 epochs), not measured here', false)
      } else {
        console.log('  (augmented variant not run; PICTOR_BENCH_AUGMENT=1 runs it, 20 epochs by default)')
      }
    })
  }

  if (settings.parts.has('fmnist')) {
    await table.part('3. Fashion-MNIST 28×28 greyscale through the CLI', async () => {
      const dataset = await prepareFashionMnist(settings.fmnistTrain, settings.fmnistTest)
      const args = [...base, '--size', '28', '--grayscale']
      await train('3 Fashion-MNIST', dataset, args, settings.epochs ?? 10, settings, '', true)
    })
  }

  if (settings.parts.has('cifar-full')) {
    await table.part('4. CIFAR-10 full size, the seed\'s experiment: Pictor beside PyTorch', async () => {
      table.rows.push(...(await benchCifarFull()))
    })
  }

  table.print()
}

main().catch((error: unknown) => {
  console.error('training benchmark crashed:', error)
  process.exit(1)
})
