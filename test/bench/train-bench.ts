// `npm run bench:train`: training benchmarks. Prints figures and ratios, not pass/fail; exits 0 unless
// something crashed (a missing dataset or PyTorch is printed as SKIPPED with the reason).
//   1. throughput of the seed CNN (32×32×3, batch 64, Adam 1e-3): tfjs wasm with the product's trainLoop,
//      in this process, against PyTorch on the CPU with 2 threads (Debian python3-torch, /usr/bin/python3);
//      the ratio tfjs/PyTorch (goal ≥ 0.5×), a per-phase and per-kernel split of a wasm step, tfjs cpu for reference
//   2. the seed's CIFAR-10 result through the product path (pictor create / import / train --json) on a
//      Keras-layout folder train/ val/ test/ (val: a held-out tenth of the training count, from train)
//   3. Fashion-MNIST (Debian dataset-fashion-mnist) as 28×28 greyscale PNG files, same path, --size 28 --grayscale
// Environment (all optional):
//   PICTOR_BENCH_CIFAR_TRAIN=N   CIFAR-10 training images per class (default 1000, i.e. 10,000 of 50,000)
//   PICTOR_BENCH_CIFAR_TEST=N    CIFAR-10 test images per class (default 1000 = the whole test set)
//   PICTOR_BENCH_FMNIST_TRAIN=N  Fashion-MNIST training images per class (default 1000)
//   PICTOR_BENCH_FMNIST_TEST=N   Fashion-MNIST test images per class (default 1000 = the whole test set)
//   PICTOR_BENCH_EPOCHS=N        epochs of every training run (default 10; 20 for the augmented run)
//   PICTOR_BENCH_AUGMENT=1       also train CIFAR-10 with augmentation (the seed's ~86% variant)
//   PICTOR_BENCH_STEPS=N         timed steps per round in part 1 (default 30; PICTOR_BENCH_WARMUP, default 5)
//   PICTOR_BENCH_ROUNDS=N        interleaved tfjs / PyTorch rounds in part 1 (default 3)
//   PICTOR_BENCH_CPU=0           skip the tfjs cpu-backend reference (2 steps, about a minute each)
//   PICTOR_BENCH_PARTS=list      which parts run: throughput,cifar,fmnist (default all)
// Datasets are cached under os.tmpdir()/pictor-bench.
import { availableParallelism, cpus, loadavg } from 'node:os'
import * as tf from '@tensorflow/tfjs-core'
import { type BenchSettings, BenchTable, CACHE, percent, readSettings, seconds } from './train-bench-common'
import { prepareCifar, prepareFashionMnist, type SplitFolder } from './train-bench-data'
import { type PictorTraining, printTraining, trainWithPictor } from './train-bench-pictor'
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
  const steps = `batch 64, 32×32×3, Adam 1e-3; ${settings.rounds} rounds × ${settings.steps} steps`
  const rate = (best: number | null, pooled: number | null) =>
    best === null || pooled === null ? 'SKIPPED' : `${best.toFixed(0)} images/s (pooled median ${pooled.toFixed(0)})`
  table.rows.push({ part: '1 tfjs wasm trainLoop', setting: steps, result: rate(r.tfjsBest, r.tfjsPooled), reference: r.tfjs[0]!.label, time: seconds(ms) })
  if (r.torchSkipped) table.rows.push({ part: '1 PyTorch CPU', setting: steps, result: 'SKIPPED', reference: r.torchSkipped, time: '' })
  for (const f of r.torch) {
    const [threads, layout] = f.config.split(':')
    table.rows.push({
      part: `1 PyTorch CPU ${threads} thread${threads === '1' ? '' : 's'} ${layout}`,
      setting: `${f.rounds} round${f.rounds === 1 ? '' : 's'} × ${settings.steps} steps`,
      result: rate(f.best, f.pooled),
      reference: `torch ${r.torchVersion ?? '?'}${f.config === '2:nchw' ? ' (the reference)' : ''}`,
      time: ''
    })
  }
  const verdict = (ratio: number | null) => (ratio === null ? '' : ratio >= GOAL ? ' (met)' : ' (below)')
  table.rows.push({
    part: '1 ratio tfjs/PyTorch',
    setting: 'vs 2 threads NCHW: best rounds (pooled medians)',
    result: r.ratioBest === null ? '—' : `${r.ratioBest.toFixed(2)}× (${r.ratioPooled!.toFixed(2)}×)`,
    reference: `goal ≥ ${GOAL}×${verdict(r.ratioBest)}` +
      (r.contendedRounds ? `; UNRELIABLE: 2 threads lost to 1 thread in ${r.contendedRounds} round(s) (CPU contention)` : ''),
    time: ''
  })
  const fastest = r.torch.length ? r.torch.reduce((a, b) => (b.best > a.best ? b : a)) : null
  if (fastest) {
    table.rows.push({ part: '1 ratio tfjs/fastest PyTorch', setting: `vs ${fastest.config}, best rounds`, result: `${(r.tfjsBest / fastest.best).toFixed(2)}×`, reference: '', time: '' })
  }
  if (r.cpu) {
    table.rows.push({ part: '1 tfjs cpu trainLoop', setting: `${r.cpu.stepMs.length} steps`, result: `${r.cpu.imagesPerSecond.toFixed(1)} images/s`, reference: 'reference only', time: '' })
  }
}

function trainingRow(part: string, run: PictorTraining, reference: string): void {
  const i = run.imported
  table.rows.push({
    part,
    setting: `train ${i.train} / val ${i.val} / test ${i.test}, ${run.epochs} epoch${run.epochs === 1 ? '' : 's'}, ${run.trainArgs.join(' ')}`,
    result: `test ${percent(run.testAccuracy)} (val ${percent(run.valAccuracy)}), ${run.imagesPerSecond ?? '—'} images/s`,
    reference,
    time: `import ${seconds(run.importMs)}, train ${seconds(run.trainMs)}`
  })
}

async function train(part: string, dataset: SplitFolder, args: string[], epochs: number, reference: string): Promise<void> {
  const { train: n, val, test } = dataset.counts
  console.log(`  ${part}: ${dataset.folder} (train ${n}, val ${val}, test ${test}; ${dataset.classes.length} classes), ${epochs} epochs`)
  const run = await trainWithPictor(part, dataset, args, epochs)
  printTraining(run, reference)
  trainingRow(part, run, reference)
}

async function main(): Promise<void> {
  const settings = readSettings()
  console.log(`training benchmark: node ${process.version}, tfjs-core ${tf.version_core}, ${availableParallelism()} cores ` +
    `(${cpus()[0]?.model ?? '?'}), load average ${loadavg()[0]!.toFixed(2)}, cache ${CACHE}`)
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
      await train('2 CIFAR-10 baseline', dataset, [...base, '--size', '32'], epochs, 'seed: ~80% (50,000 training images, 10 epochs)')
      if (settings.augment) {
        const augmented = settings.epochs ?? 20
        await train('2 CIFAR-10 augmented', dataset, [...base, '--size', '32', '--augment'], augmented, 'seed: ~86% (50,000 training images, 20 epochs)')
      } else {
        console.log('  (augmented variant not run; PICTOR_BENCH_AUGMENT=1 runs it, 20 epochs by default)')
      }
    })
  }

  if (settings.parts.has('fmnist')) {
    await table.part('3. Fashion-MNIST 28×28 greyscale through the CLI', async () => {
      const dataset = await prepareFashionMnist(settings.fmnistTrain, settings.fmnistTest)
      const args = [...base, '--size', '28', '--grayscale']
      await train('3 Fashion-MNIST', dataset, args, settings.epochs ?? 10, 'no seed figure')
    })
  }

  table.print()
}

main().catch((error: unknown) => {
  console.error('training benchmark crashed:', error)
  process.exit(1)
})
