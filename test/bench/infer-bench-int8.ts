// The int8 part of `npm run bench:infer` (issue 18), also runnable alone:
// `tsx test/bench/infer-bench-int8.ts` (wrap in `flock /tmp/pictor-bench.lock` on a shared machine).
// In one run, medians of ROUNDS interleaved rounds:
//   1. backbone only, preprocessed 224×224 tensors, batch 32: float32 vs int8 graph, images/s, ratio
//   2. end to end (decode + resize + inference, extractMissingFeatures into a scratch project, fresh
//      hashes each round): int8 and float32, and int8 against the float32 backbone-only rate (goal ≥ 1.0×)
//   3. agreement on CIFAR-10 (TRAIN class-balanced training images, TEST test images, as bench:transfer):
//      a softmax-regression head trained on float32 features, its top-1 on int8 vs float32 test features;
//      and a head trained on int8 features (what an int8 run is) against the float32 one
// The int8 graph is calibrated the product's way (calibratingQuantizer on the training images) and timed.
// Environment: PICTOR_BENCH_INT8_ROUNDS (3), PICTOR_BENCH_INT8_BATCHES (4), PICTOR_BENCH_INT8_E2E (256 files),
// PICTOR_BENCH_TRANSFER_IMAGES (2000), PICTOR_BENCH_TRANSFER_TEST (500).
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { pathToFileURL } from 'node:url'
import { registerBuiltModulePaths } from './transfer-bench-module-paths'

// Product modules that start workers import them with `?modulePath` (resolved to out/main): hook first.
registerBuiltModulePaths()
const { calibratingQuantizer } = await import('../../src-main/classifier/features/calibrating-quantizer')
const { extractMissingFeatures } = await import('../../src-main/classifier/features/extract-features')
const { DEFAULT_FEATURE_SPEC } = await import('../../src-main/classifier/features/feature-spec')
const { preprocessForMobileNet } = await import('../../src-main/classifier/features/mobilenet-preprocess')
const { OnnxFeatureExtractor } = await import('../../src-main/classifier/features/onnx-feature-extractor')
const { getFeatures } = await import('../../src-main/db/queries/image-features')
const { envInt, extractCifar, median, PICTOR, runChild, tail } = await import('./bench-util')
const { balancedFiles } = await import('./transfer-bench-common')
type FeatureExample = import('../../src-main/classifier/features/extract-features').FeatureExample
type FeatureSpec = import('../../src-main/classifier/features/feature-spec').FeatureSpec
import { trainSoftmax, top1 } from './infer-bench-softmax'

const INT8: FeatureSpec = { ...DEFAULT_FEATURE_SPEC, precision: 'int8' }
const BATCH = 32

export interface Int8Figures {
  lines: string[]
  rows: { part: string; result: string; note: string }[]
}

export async function benchInt8(modelsDir: string): Promise<Int8Figures> {
  const rounds = envInt('PICTOR_BENCH_INT8_ROUNDS', 3)
  const batches = envInt('PICTOR_BENCH_INT8_BATCHES', 4)
  const e2eFiles = envInt('PICTOR_BENCH_INT8_E2E', 256)
  const root = await extractCifar()
  const train = await balancedFiles(root, 'train', envInt('PICTOR_BENCH_TRANSFER_IMAGES', 2000))
  const test = await balancedFiles(root, 'test', envInt('PICTOR_BENCH_TRANSFER_TEST', 500))
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-int8-'))
  const cacheDir = join(work, 'cache')
  // A scratch project made by the built CLI (the schema's migrations are bundled there).
  const scratch = join(work, 'scratch.pictor')
  const created = await runChild(process.execPath, [PICTOR, 'create', scratch, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
  if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
  const db = new Database(scratch)
  db.pragma('busy_timeout = 5000')
  const lines: string[] = []
  const log = (line: string) => {
    lines.push(line)
    console.log(`  ${line}`)
  }
  try {
    const asExamples = (files: { src: string }[], tag: string): FeatureExample[] => files.map(({ src }, index) => ({ imageId: index + 1, path: src, contentHash: `${tag}:${src}` }))
    const signal = new AbortController().signal
    const floatExtractor = await OnnxFeatureExtractor.load(modelsDir, { cacheDir })
    const quantizeStarted = performance.now()
    const int8Extractor = await OnnxFeatureExtractor.load(modelsDir, { cacheDir, spec: INT8, quantize: calibratingQuantizer(asExamples(train, 'train')) })
    const quantizeMs = performance.now() - quantizeStarted
    log(`int8 graph built (export + calibration on 200 of the ${train.length} training images + QDQ) in ${(quantizeMs / 1000).toFixed(1)} s`)

    const images = await Promise.all(test.slice(0, BATCH).map(({ src }) => preprocessForMobileNet(src)))
    await floatExtractor.extract(images)
    await int8Extractor.extract(images)
    const backbone = { float: [] as number[], int8: [] as number[] }
    const endToEnd = { float: [] as number[], int8: [] as number[] }
    for (let round = 0; round < rounds; round++) {
      const load = loadavg()[0]!.toFixed(2)
      for (const [name, extractor] of [['float', floatExtractor], ['int8', int8Extractor]] as const) {
        const started = performance.now()
        for (let b = 0; b < batches; b++) await extractor.extract(images)
        backbone[name].push((BATCH * batches) / ((performance.now() - started) / 1000))
      }
      for (const [name, spec] of [['int8', INT8], ['float', DEFAULT_FEATURE_SPEC]] as const) {
        const report = await extractMissingFeatures(db, asExamples(train.slice(0, e2eFiles), `${name}${round}`), { modelsDir, cacheDir, signal, spec, engine: 'onnxruntime' })
        endToEnd[name].push(report.imagesPerSecond!)
      }
      log(`round ${round + 1} (load average ${load}): backbone float32 ${backbone.float.at(-1)!.toFixed(1)}, int8 ${backbone.int8.at(-1)!.toFixed(1)} images/s; ` +
        `end to end (${e2eFiles} files) float32 ${endToEnd.float.at(-1)!.toFixed(1)}, int8 ${endToEnd.int8.at(-1)!.toFixed(1)} images/s`)
    }
    floatExtractor.dispose()
    int8Extractor.dispose()

    const features = async (files: { src: string }[], tag: string, spec: FeatureSpec) => {
      const examples = asExamples(files, tag)
      const report = await extractMissingFeatures(db, examples, { modelsDir, cacheDir, signal, spec, engine: 'onnxruntime' })
      const stored = getFeatures(db, report.cacheKey, examples.map((example) => example.contentHash!))
      return examples.map((example) => stored.get(example.contentHash!)!)
    }
    const classes = [...new Set(train.map((file) => file.className))].sort()
    const labelsOf = (files: { className: string }[]) => files.map((file) => classes.indexOf(file.className))
    const [trainFloat, testFloat, trainInt8, testInt8] = [
      await features(train, 'agree-train', DEFAULT_FEATURE_SPEC),
      await features(test, 'agree-test', DEFAULT_FEATURE_SPEC),
      await features(train, 'agree-train', INT8),
      await features(test, 'agree-test', INT8)
    ]
    const floatHead = trainSoftmax(trainFloat, labelsOf(train), classes.length)
    const int8Head = trainSoftmax(trainInt8, labelsOf(train), classes.length)
    const reference = top1(floatHead, testFloat)
    const sameHead = top1(floatHead, testInt8)
    const ownHead = top1(int8Head, testInt8)
    const truth = labelsOf(test)
    const share = (a: number[], b: number[]) => a.filter((label, index) => label === b[index]).length / a.length
    const pct = (value: number) => `${(value * 100).toFixed(1)} %`
    const rate = (values: number[]) => `${median(values).toFixed(1)} images/s`
    const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}×`
    const agreement = Math.min(share(reference, sameHead), share(reference, ownHead))
    const faster = median(endToEnd.int8) / median(endToEnd.float)
    const rows = [
      { part: 'int8 backbone only (224 px, batch 32)', result: rate(backbone.int8), note: `float32 ${rate(backbone.float)}: ${ratio(backbone.int8, backbone.float)} (medians of ${rounds}, same run)` },
      {
        part: `int8 end to end (decode + inference, ${e2eFiles} CIFAR files)`,
        result: rate(endToEnd.int8),
        note: `float32 end to end ${rate(endToEnd.float)} (int8 ${ratio(endToEnd.int8, endToEnd.float)}); vs float32 backbone only ${ratio(endToEnd.int8, backbone.float)} (goal ≥ 1.0×)`
      },
      {
        part: `int8 agreement, CIFAR-10 ${test.length} test images`,
        result: `${pct(share(reference, sameHead))} / ${pct(share(reference, ownHead))}`,
        note: `top-1 same as float32's: float32-trained head on int8 features / head trained on int8 features; accuracy float32 ${pct(share(reference, truth))}, int8 ${pct(share(sameHead, truth))} / ${pct(share(ownHead, truth))}`
      },
      {
        part: 'int8 as the default (≥ 1.3× end to end and ≥ 99 % agreement)',
        result: faster >= 1.3 && agreement >= 0.99 ? 'yes' : 'no',
        note: `end to end ${faster.toFixed(2)}×, agreement ${pct(agreement)}; graph build ${(quantizeMs / 1000).toFixed(1)} s, once per project and input size`
      }
    ]
    return { lines, rows }
  } finally {
    db.close()
    await rm(work, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { MODELS_DIR } = await import('./transfer-bench-common')
  console.log(`int8 benchmark: node ${process.version}, base model ${MODELS_DIR}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const { rows } = await benchInt8(MODELS_DIR)
  for (const row of rows) console.log(`${row.part}: ${row.result} — ${row.note}`)
}
