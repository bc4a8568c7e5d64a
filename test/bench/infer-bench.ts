// `npm run bench:infer`: inference on ONNX Runtime against TF.js and PyTorch. Prints figures and ratios,
// not pass/fail; exits 0 unless something crashed (a missing dataset, base model or PyTorch is printed
// as SKIPPED with the reason).
//   1. MobileNetV2 224×224 feature extraction, images/s: ONNX Runtime vs TF.js wasm vs PyTorch CPU, in the
//      same run, T threads on each side and 1 thread each (see infer-bench-extract.ts), with ratios; and
//      the one-time ONNX graph build, cold
//   2. one-click fine-tuning wall time on CIFAR-10 (2,000 train + 500 test images by default) through the
//      product path (`pictor create`, `import`, `train --model mobilenetv2`; the same code as
//      `npm run bench:transfer` part 2) with features on ONNX Runtime, the default engine; goals (issue 18):
//      ≤ 15 s cold, ≤ 2 s for the retrain after relabeling
//   3. end-to-end extraction vs the backbone alone on ONNX Runtime, per input size, before and after the
//      issue 18 pipeline (infer-bench-pipeline.ts; goal ≥ 1×)
//   4. one-click test accuracy and extraction time per input size on the same CIFAR-10 subset
//      (infer-bench-sizes.ts): the figures 'auto' input size was chosen from
// "Cold" means a fresh data folder and no ONNX feature graph: each part runs with a data folder of its
// own, whose cache (<data>/cache) is where the app keeps the graph, so the graph is built inside the timed
// part; each part says whether it was, and checks that the base model's folder (../shared by default,
// read-only) was left untouched.
// Environment (all optional):
//   PICTOR_MODELS_DIR=DIR             the base models (default ../shared/models/mobilenet_v2)
//   PICTOR_BENCH_INFER_PARTS=list     extract,oneclick,pipeline,sizes,int8 (default all five; int8: see infer-bench-int8.ts)
//   PICTOR_BENCH_CLI=FILE             a copy of bin/pictor.js with its own out/ (a build taken while others edit the checkout)
//   PICTOR_BENCH_INFER_SIZES=list     input sizes of parts 3 and 4 (default 96,128,160,224)
//   PICTOR_BENCH_INFER_PIPELINE_ROUNDS=N, PICTOR_BENCH_INFER_SIZE_ROUNDS=N   rounds of parts 3 (default 3) and 4 (default 1)
//   PICTOR_BENCH_INFER_ROUNDS=N       interleaved rounds of part 1 (default 2)
//   PICTOR_BENCH_INFER_BATCHES=N      timed batches of 32 per round and engine in part 1 (default 4)
//   PICTOR_BENCH_TRANSFER_IMAGES=N, PICTOR_BENCH_TRANSFER_TEST=N, PICTOR_BENCH_TRANSFER_RELABEL=N   part 2's data
// Threads: T = the cores this process may use on every side (run under `taskset -c 0-N` for fewer).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { BenchTable, benchThreads, decodeLine, decodeThreads, envInt, PICTOR, runChild, runConditions, seconds, tail } from './bench-util'
import { registerBuiltModulePaths } from './transfer-bench-module-paths'

const COLD_GOAL_S = 15
/** Issue 18's goal for a retrain after relabeling (features cached). */
const RETRAIN_GOAL_S = 2

// Product modules that start workers import them with `?modulePath` (resolved to out/main): hook first.
registerBuiltModulePaths()
delete process.env.PICTOR_INFERENCE
const { benchInferExtraction } = await import('./infer-bench-extract')
const { inferExtractionRows } = await import('./infer-bench-rows')
type Row = import('./infer-bench-rows').Row
const { assertModelsUntouched, MODELS_DIR, modelsSnapshot, readSettings, requireBaseModel } = await import('./transfer-bench-common')
const { benchOneClick, breakdown, graphNote } = await import('./transfer-bench-oneclick')
const { benchPipeline, pipelineRows } = await import('./infer-bench-pipeline')
const { benchSizes, sizeRows } = await import('./infer-bench-sizes')
type InputSize = import('../../src-main/classifier/features/feature-spec').InputSize

const table = new BenchTable<Row>({ part: 'benchmark', result: 'result', note: 'note' }, (part, result, note) => ({ part, result, note }))

async function main(): Promise<void> {
  const parts = new Set((process.env.PICTOR_BENCH_INFER_PARTS ?? 'extract,oneclick,pipeline,sizes,int8').split(',').map((p) => p.trim()))
  const sizes = (process.env.PICTOR_BENCH_INFER_SIZES ?? '96,128,160,224').split(',').map((size) => Number(size) as InputSize)
  const t = benchThreads()
  const d = decodeThreads()
  Object.assign(table.sides, {
    'ONNX Runtime': `${t} intra-op thread(s); end to end + decoding: ${decodeLine()}`,
    'TF.js wasm': `${t} worker thread(s), one single-threaded backbone each (PICTOR_FEATURE_WORKERS=${t}); 1 thread in this thread`,
    PyTorch: `torch.set_num_threads(${t}) and (1); end to end + DataLoader with ${d} worker processes (PIL, one thread each)`
  })
  console.log(`inference benchmark: node ${process.version}, base model ${MODELS_DIR}\n${runConditions(table.sides)}`)
  if (parts.has('extract')) {
    await table.part(`1. MobileNetV2 feature extraction 224×224: ONNX Runtime vs TF.js wasm vs PyTorch CPU, ${t} thread(s) each`, async () => {
      const work = await mkdtemp(join(tmpdir(), 'pictor-bench-infer-cold-'))
      try {
        const models = await modelsSnapshot()
        const result = await benchInferExtraction({
          modelsDir: MODELS_DIR,
          modelJson: requireBaseModel(),
          cacheDir: join(work, 'data', 'cache'),
          rounds: envInt('PICTOR_BENCH_INFER_ROUNDS', 2),
          batches: envInt('PICTOR_BENCH_INFER_BATCHES', 4)
        })
        await assertModelsUntouched(models)
        table.rows.push(...inferExtractionRows(result))
      } finally {
        await rm(work, { recursive: true, force: true })
      }
    })
  }
  if (parts.has('oneclick')) {
    const settings = readSettings()
    await table.part(`2. one-click fine-tuning on CIFAR-10 (${settings.images} train, ${settings.test} test), features on ONNX Runtime`, async () => {
      const r = await benchOneClick(settings)
      const coldMs = r.createMs + r.importMs + r.cold.wallMs
      const e = r.cold.extraction
      table.rows.push(
        {
          part: `2 cold: create + import + train (${r.dataset.train} train + ${r.dataset.test} test images)`,
          result: seconds(coldMs),
          note: (coldMs / 1000 <= COLD_GOAL_S ? `goal ≤ ${COLD_GOAL_S} s met` : `goal ≤ ${COLD_GOAL_S} s NOT met`) + `; ${graphNote(r)}`
        },
        { part: '2 cold: pictor create / import', result: `${seconds(r.createMs)} / ${seconds(r.importMs)}`, note: `${r.imported.imported} imported` },
        {
          part: `2 cold: pictor train --model mobilenetv2 (ONNX Runtime ${t} threads)`,
          result: seconds(r.cold.wallMs),
          note: e ? `${e.computed} features extracted with ${e.engine ?? '?'} at ${e.imagesPerSecond?.toFixed(1) ?? '—'} images/s` : 'no extraction figures'
        },
        { part: '2 cold: where train time went', result: '', note: breakdown(r.cold) },
        {
          part: '2 retrain after relabeling (features cached)',
          result: seconds(r.retrain.wallMs),
          note: `${r.relabel.changed} labels changed; ` + (r.retrain.wallMs / 1000 <= RETRAIN_GOAL_S ? `goal ≤ ${RETRAIN_GOAL_S} s met` : `goal ≤ ${RETRAIN_GOAL_S} s NOT met`)
        },
        {
          part: '2 test accuracy',
          result: `cold ${((r.cold.result.testAccuracy ?? 0) * 100).toFixed(1)}%, after relabel ${((r.retrain.result.testAccuracy ?? 0) * 100).toFixed(1)}%`,
          note: `${r.cold.result.epochs} head epochs`
        }
      )
    })
  }
  if (parts.has('pipeline')) {
    await table.part(`3. end-to-end extraction vs the backbone alone on ONNX Runtime (${t} threads), per input size`, async () => {
      const work = await mkdtemp(join(tmpdir(), 'pictor-bench-pipeline-'))
      try {
        const project = join(work, 'scratch.pictor')
        const created = await runChild(process.execPath, [PICTOR, 'create', project, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
        if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
        const db = new Database(project)
        try {
          const files = envInt('PICTOR_BENCH_INFER_PIPELINE_FILES', 256)
          const figures = await benchPipeline({ modelsDir: MODELS_DIR, cacheDir: join(work, 'data', 'cache'), db, sizes, rounds: envInt('PICTOR_BENCH_INFER_PIPELINE_ROUNDS', 3), files })
          table.rows.push(...pipelineRows(figures, files))
        } finally {
          db.close()
        }
      } finally {
        await rm(work, { recursive: true, force: true })
      }
    })
  }
  if (parts.has('sizes')) {
    const settings = readSettings()
    await table.part(`4. one-click per input size on CIFAR-10 (${settings.images} train, ${settings.test} test)`, async () => {
      const runs = await benchSizes({ train: settings.images, test: settings.test, sizes, rounds: envInt('PICTOR_BENCH_INFER_SIZE_ROUNDS', 1) })
      table.rows.push(...sizeRows(runs, `${settings.images} + ${settings.test} CIFAR-10 images (32 px)`))
    })
  }
  if (parts.has('int8')) {
    await table.part('5. int8 backbone (issue 18): float32 vs int8 on ONNX Runtime, end to end, and agreement on CIFAR-10', async () => {
      const { benchInt8 } = await import('./infer-bench-int8')
      table.rows.push(...(await benchInt8(MODELS_DIR)).rows)
    })
  }
  table.print()
}

main().catch((error: unknown) => {
  console.error('inference benchmark crashed:', error)
  process.exit(1)
})
