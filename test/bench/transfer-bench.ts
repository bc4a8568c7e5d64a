// `npm run bench:transfer`: transfer-learning benchmarks. Prints figures and ratios, not pass/fail; exits
// 0 unless something crashed (a missing dataset, base model or PyTorch is printed as SKIPPED with the reason).
//   1. MobileNetV2 feature extraction at 224×224, images/s: Pictor's FeatureExtractor on wasm, in this
//      process, on preprocessed tensors only ("backbone") and end to end (decode + preprocess + backbone,
//      the train job's extractMissingFeatures), against PyTorch on the CPU (Debian python3-torch and
//      python3-torchvision, /usr/bin/python3): torchvision's mobilenet_v2 features + average pooling with
//      Pictor's weights, eval, no_grad, batch 32; the ratio Pictor/PyTorch (goal ≥ 1×). Both sides get T
//      threads (T = the cores this process may use: T wasm workers vs torch.set_num_threads(T)), and end
//      to end the same decode parallelism (libuv's pool for sharp vs as many DataLoader workers for PIL)
//   2. one-click wall time through the product path on CIFAR-10 (train/<class>/ + test/<class>/, hard
//      links into the extracted ../shared/datasets/cifar10-jpg.tar.gz): cold (a fresh data folder, so no
//      ONNX feature graph in its cache: pictor create, import, train --model mobilenetv2 --json; goal
//      ≤ 60 s; the base model's folder is checked to be untouched), then after relabeling some training images
//      with the code behind the contract's labels.assign, the same train again (goal ≤ 5 s, nothing extracted);
//      test accuracy on the CIFAR-10 test images (32×32 upscaled to 224×224 by the preprocessing), and for
//      context the same retrain with --epochs 100
//   3. stage 2 (fine-tune the top blocks, transfer-bench-finetune.ts): test accuracy against the head alone,
//      its time, and images/s of its training step against PyTorch on the same cached activations (ratio)
// Environment (all optional):
//   PICTOR_MODELS_DIR=DIR              the base models (default ../shared/models/mobilenet_v2)
//   PICTOR_BENCH_TRANSFER_IMAGES=N     CIFAR-10 training images of part 2, class-balanced (default 2000)
//   PICTOR_BENCH_TRANSFER_TEST=N       CIFAR-10 test images of part 2, class-balanced (default 500)
//   PICTOR_BENCH_TRANSFER_RELABEL=N    labels changed before the retrain (default 50)
//   PICTOR_BENCH_TRANSFER_ROUNDS=N     interleaved Pictor / PyTorch rounds of part 1 (default 2)
//   PICTOR_BENCH_TRANSFER_BATCHES=N    timed batches of 32 per round and side in part 1 (default 4)
//   PICTOR_BENCH_TRANSFER_PARTS=list   which parts run: extract,oneclick,finetune (default all three)
// Part 1 sets PICTOR_FEATURE_WORKERS=T for its own measurements; run under `taskset -c 0-N` for fewer threads.
// Needs a current build (`npm run bench:transfer` builds first): the product's workers run from out/main.
// Datasets are cached under os.tmpdir()/pictor-bench. Feature extraction on wasm runs at roughly
// 15 images/s per core (one backbone per feature worker), so on a 2-core machine the default part 2
// (2,500 images) takes a few minutes, part 1 another three or so.
import * as tf from '@tensorflow/tfjs-core'
import { BenchTable, benchThreads, CACHE, decodeLine, decodeThreads, MODELS_DIR, readSettings, runConditions, seconds } from './transfer-bench-common'
import { registerBuiltModulePaths } from './transfer-bench-module-paths'
import type { OneClickResult } from './transfer-bench-oneclick'

// Product modules that start workers import them with `?modulePath` (resolved to out/main): hook
// first, then load the parts that use them.
registerBuiltModulePaths()
const { benchExtraction, extractionRows } = await import('./transfer-bench-extract')
const { benchOneClick, breakdown, COLD_GOAL_S, graphNote, LONGER_EPOCHS, RELABEL_GOAL_S } = await import('./transfer-bench-oneclick')
const { benchFineTune, fineTuneRows } = await import('./transfer-bench-finetune')

interface Row {
  part: string
  result: string
  note: string
}

const table = new BenchTable<Row>({ part: 'benchmark', result: 'result', note: 'note' }, (part, result, note) => ({ part, result, note }))

const goal = (value: number, limit: number) => (value <= limit ? `goal ≤ ${limit} s met` : `goal ≤ ${limit} s NOT met`)

function oneClickRows(r: OneClickResult): void {
  const coldMs = r.createMs + r.importMs + r.cold.wallMs
  const e = r.cold.extraction
  const n = `${r.dataset.train} train + ${r.dataset.test} test images`
  table.rows.push(
    { part: `2 cold: create + import + train (${n})`, result: seconds(coldMs), note: `${goal(coldMs / 1000, COLD_GOAL_S)}; ${graphNote(r)}` },
    { part: '2 cold: pictor create', result: seconds(r.createMs), note: '' },
    { part: '2 cold: pictor import', result: seconds(r.importMs), note: `${r.imported.imported} imported, ${r.imported.failed} failed` },
    {
      part: '2 cold: pictor train --model mobilenetv2',
      result: seconds(r.cold.wallMs),
      note: e ? `${e.computed} features extracted${e.engine ? ` with ${e.engine}` : ''} at ${e.imagesPerSecond?.toFixed(1) ?? '—'} images/s, ${e.cached} cached` : 'no extraction figures'
    },
    { part: '2 cold: where train time went', result: '', note: breakdown(r.cold) },
    { part: `2 relabel ${r.relabel.changed} training images (Labeling.assign)`, result: seconds(r.relabel.ms), note: 'in process, not part of the retrain time' },
    {
      part: '2 retrain after relabel: pictor train --model mobilenetv2',
      result: seconds(r.retrain.wallMs),
      note: `${goal(r.retrain.wallMs / 1000, RELABEL_GOAL_S)}; ` +
        (r.retrain.extraction ? `${r.retrain.extraction.computed} features extracted, ${r.retrain.extraction.cached} from the cache` : 'no extraction figures')
    },
    { part: '2 retrain: where train time went', result: '', note: breakdown(r.retrain) },
    {
      part: `2 test accuracy (${r.dataset.test} CIFAR-10 test images, 32 → 224 px)`,
      result: `cold ${pct(r.cold.result.testAccuracy)}, after relabel ${pct(r.retrain.result.testAccuracy)}`,
      note: `${r.cold.result.epochs} / ${r.retrain.result.epochs} head epochs (chosen automatically); ` +
        (r.cold.result.valAccuracy === null ? 'no validation split (no early stopping)' : `validation ${pct(r.cold.result.valAccuracy)} / ${pct(r.retrain.result.valAccuracy)}`)
    }
  )
  if (r.longer) {
    table.rows.push({
      part: `2 context: the same retrain with --epochs ${LONGER_EPOCHS} (ran ${r.longer.result.epochs}: early stopping)`,
      result: `test ${pct(r.longer.result.testAccuracy)} in ${seconds(r.longer.wallMs)}`,
      note: `train accuracy ${pct(r.longer.result.history.at(-1)?.accuracy ?? null)} (auto ${pct(r.retrain.result.history.at(-1)?.accuracy ?? null)})`
    })
  }
}

const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)

async function main(): Promise<void> {
  const settings = readSettings()
  const t = benchThreads()
  const d = decodeThreads()
  Object.assign(table.sides, {
    'Pictor (part 1)': `TF.js wasm, ${t} worker thread(s) with one single-threaded backbone each (PICTOR_FEATURE_WORKERS=${t}), and 1 thread; ` +
      `end to end + decoding: ${decodeLine()}`,
    'PyTorch (part 1)': `torch.set_num_threads(${t}) and (1); end to end + DataLoader with ${d} worker processes (PIL, one thread each)`,
    'pictor train (part 2)': `the product's defaults: ONNX Runtime ${t} intra-op threads when installed, else TF.js feature workers`
  })
  console.log(`transfer benchmark: node ${process.version}, tfjs-core ${tf.version_core}, base models ${MODELS_DIR}, cache ${CACHE}\n` +
    runConditions(table.sides))

  if (settings.parts.has('extract')) {
    await table.part(`1. MobileNetV2 feature extraction 224×224, Pictor (wasm) vs PyTorch CPU, ${t} thread(s) each`, async () => {
      const result = await benchExtraction(settings)
      for (const row of extractionRows(result)) table.rows.push({ part: `1 ${row.what}`, result: row.result, note: row.note })
    })
  }

  if (settings.parts.has('oneclick')) {
    await table.part(`2. one-click transfer learning on CIFAR-10 (${settings.images} train, ${settings.test} test), cold and after relabeling ${settings.relabel}`, async () => {
      oneClickRows(await benchOneClick(settings))
    })
  }

  if (settings.parts.has('finetune')) {
    await table.part(`3. stage 2: fine-tune the top blocks on CIFAR-10 (${settings.images} train, ${settings.test} test), accuracy and speed vs PyTorch`, async () => {
      table.rows.push(...fineTuneRows(await benchFineTune(settings)))
    })
  }

  table.print()
}

main().catch((error: unknown) => {
  console.error('transfer benchmark crashed:', error)
  process.exit(1)
})
