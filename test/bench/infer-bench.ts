// `npm run bench:infer`: inference on ONNX Runtime against TF.js and PyTorch. Prints figures and ratios,
// not pass/fail; exits 0 unless something crashed (a missing dataset, base model or PyTorch is printed
// as SKIPPED with the reason).
//   1. MobileNetV2 224×224 feature extraction, images/s: ONNX Runtime vs TF.js wasm vs PyTorch CPU, in the
//      same run (see infer-bench-extract.ts), with ratios; and the one-time ONNX graph build
//   2. one-click fine-tuning wall time on CIFAR-10 (2,000 train + 500 test images by default) through the
//      product path (`pictor create`, `import`, `train --model mobilenetv2`; the same code as
//      `npm run bench:transfer` part 2) with features on ONNX Runtime, the default engine; goal ≤ 30 s cold
// The base model is copied once to a writable folder (os.tmpdir()/pictor-bench/infer-models), as a user's
// data folder is: the ONNX feature graph is cached beside it. Part 1 builds it first (timed), so part 2's
// "cold" run starts with it cached, as every run after the first on a machine does.
// Environment (all optional):
//   PICTOR_MODELS_DIR=DIR             where the base model is copied from (default ../shared/models/mobilenet_v2)
//   PICTOR_BENCH_INFER_PARTS=list     extract,oneclick (default both)
//   PICTOR_BENCH_INFER_ROUNDS=N       interleaved rounds of part 1 (default 2)
//   PICTOR_BENCH_INFER_BATCHES=N      timed batches of 32 per round and engine in part 1 (default 4)
//   PICTOR_BENCH_TRANSFER_IMAGES=N, PICTOR_BENCH_TRANSFER_TEST=N, PICTOR_BENCH_TRANSFER_RELABEL=N   part 2's data
import { chmod, cp, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { availableParallelism, cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { BASE_MODEL_ID } from '../../src-main/classifier/features/base-model'
import { BenchTable, CACHE, envInt, ROOT, seconds } from './bench-util'
import { registerBuiltModulePaths } from './transfer-bench-module-paths'

const SOURCE_MODELS = resolve(ROOT, process.env.PICTOR_MODELS_DIR || join('..', 'shared', 'models', 'mobilenet_v2'))
const MODELS = join(CACHE, 'infer-models')
const COLD_GOAL_S = 30

// Product modules that start workers import them with `?modulePath` (resolved to out/main): hook first.
// The transfer bench's modules read PICTOR_MODELS_DIR when loaded: point it at the writable copy first.
registerBuiltModulePaths()
process.env.PICTOR_MODELS_DIR = MODELS
delete process.env.PICTOR_INFERENCE
const { benchInferExtraction, inferExtractionRows } = await import('./infer-bench-extract')
type Row = import('./infer-bench-extract').Row
const { readSettings } = await import('./transfer-bench-common')
const { benchOneClick, breakdown } = await import('./transfer-bench-oneclick')

const table = new BenchTable<Row>({ part: 'benchmark', result: 'result', note: 'note' }, (part, result, note) => ({ part, result, note }))

/** A writable copy of the base model (once), so the feature graph can be cached beside it. */
async function writableModels(): Promise<string | null> {
  const modelJson = join(MODELS, BASE_MODEL_ID, 'model.json')
  if (existsSync(modelJson)) return modelJson
  if (!existsSync(join(SOURCE_MODELS, BASE_MODEL_ID, 'model.json'))) return null
  const folder = join(MODELS, BASE_MODEL_ID)
  await cp(join(SOURCE_MODELS, BASE_MODEL_ID), folder, { recursive: true })
  // The shared copy is read-only; a user's models folder is not.
  await chmod(folder, 0o755)
  for (const name of await readdir(folder)) await chmod(join(folder, name), 0o644)
  return modelJson
}

async function main(): Promise<void> {
  const parts = new Set((process.env.PICTOR_BENCH_INFER_PARTS ?? 'extract,oneclick').split(',').map((p) => p.trim()))
  console.log(`inference benchmark: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
    `load average ${loadavg()[0]!.toFixed(2)}, base model copied from ${SOURCE_MODELS} to ${MODELS}`)
  const modelJson = await writableModels()
  if (!modelJson) {
    table.rows.push({ part: 'all', result: 'SKIPPED', note: `no base model at ${SOURCE_MODELS} (set PICTOR_MODELS_DIR, or is ../shared present?)` })
  } else {
    if (parts.has('extract')) {
      await table.part('1. MobileNetV2 feature extraction 224×224: ONNX Runtime vs TF.js wasm vs PyTorch CPU', async () => {
        const result = await benchInferExtraction({
          modelsDir: MODELS,
          modelJson,
          rounds: envInt('PICTOR_BENCH_INFER_ROUNDS', 2),
          batches: envInt('PICTOR_BENCH_INFER_BATCHES', 4)
        })
        table.rows.push(...inferExtractionRows(result))
      })
    }
    if (parts.has('oneclick')) {
      const settings = readSettings()
      await table.part(`2. one-click fine-tuning on CIFAR-10 (${settings.images} train, ${settings.test} test), features on ONNX Runtime`, async () => {
        const r = await benchOneClick(settings)
        const coldMs = r.createMs + r.importMs + r.cold.wallMs
        const e = r.cold.extraction as (typeof r.cold.extraction & { engine?: string }) | null
        table.rows.push(
          {
            part: `2 cold: create + import + train (${r.dataset.train} train + ${r.dataset.test} test images)`,
            result: seconds(coldMs),
            note: coldMs / 1000 <= COLD_GOAL_S ? `goal ≤ ${COLD_GOAL_S} s met` : `goal ≤ ${COLD_GOAL_S} s NOT met`
          },
          { part: '2 cold: pictor create / import', result: `${seconds(r.createMs)} / ${seconds(r.importMs)}`, note: `${r.imported.imported} imported` },
          {
            part: '2 cold: pictor train --model mobilenetv2',
            result: seconds(r.cold.wallMs),
            note: e ? `${e.computed} features extracted with ${e.engine ?? '?'} at ${e.imagesPerSecond?.toFixed(1) ?? '—'} images/s` : 'no extraction figures'
          },
          { part: '2 cold: where train time went', result: '', note: breakdown(r.cold) },
          { part: '2 retrain after relabeling (features cached)', result: seconds(r.retrain.wallMs), note: `${r.relabel.changed} labels changed` },
          {
            part: '2 test accuracy',
            result: `cold ${((r.cold.result.testAccuracy ?? 0) * 100).toFixed(1)}%, after relabel ${((r.retrain.result.testAccuracy ?? 0) * 100).toFixed(1)}%`,
            note: `${r.cold.result.epochs} head epochs`
          }
        )
      })
    }
  }
  table.print()
}

main().catch((error: unknown) => {
  console.error('inference benchmark crashed:', error)
  process.exit(1)
})
