// Part 1 of `npm run bench:infer`: MobileNetV2 feature extraction at 224×224, images/s, in one run. Every
// ratio compares like with like: T threads on each side (T = benchThreads(), the cores this process may
// use; the product's ONNX Runtime session uses as many), one thread each for the one-thread rows, and end
// to end the same decode parallelism D (libuv's pool for sharp; as many DataLoader workers for PIL).
//   ONNX Runtime   OnnxFeatureExtractor with T intra-op threads, and with 1: the backbone on preprocessed
//                  tensors; end to end through extractMissingFeatures (its session has T threads; decode +
//                  resize + scale overlapped with inference, features committed to a scratch project)
//   TF.js wasm     FeatureExtractor in T worker threads (one single-threaded backbone each, as the feature
//                  workers run), and in this thread (1 thread); end to end as the product ran it before
//                  ONNX Runtime, with PICTOR_FEATURE_WORKERS=T
//   PyTorch CPU    test/bench/pytorch/mobilenet_v2_features.py in a child process (T threads and 1 thread,
//                  NCHW, batch 32, Pictor's weights), backbone and end to end (a DataLoader with D workers);
//                  SKIPPED when python3-torch is absent
// Timing: backbone figures exclude warm-up batches on every side; end-to-end figures include the first
// batch and exclude model loading on every side.
// The ONNX feature graph is built cold (a fresh data folder's cache, as the app passes it) and timed first. The sides alternate in rounds (the machine is shared); the best round of each is compared.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { extractMissingFeatures } from '../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../src-main/classifier/features/feature-extractor'
import { OnnxFeatureExtractor } from '../../src-main/classifier/features/onnx-feature-extractor'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'
import { type BackbonePool, startBackbonePool } from './transfer-bench-backbone-pool'
import { balancedFiles, benchThreads, decodeThreads, extractCifar, featureGraphs, PICTOR, PYTHON, runChild, tail, TORCH_SCRIPT } from './transfer-bench-common'
import { type InferExtraction, timeBatches, type TorchJson } from './infer-bench-rows'

export const BATCH = 32

export interface ExtractSettings {
  /** The base models (read only) and the base model's model.json. */
  modelsDir: string
  modelJson: string
  /** The cache of this run's fresh data folder (<data>/cache, as the app passes it): where the graph goes. */
  cacheDir: string
  rounds: number
  batches: number
}

/** Builds the graph cold and times it; the graphs in the cache before and after (relative to the data folder). */
async function buildGraphCold(settings: ExtractSettings): Promise<Pick<InferExtraction, 'graphBuildMs' | 'graphBefore' | 'graphAfter'>> {
  const graphs = async () => (await featureGraphs(settings.cacheDir)).map((path) => relative(dirname(settings.cacheDir), path))
  const graphBefore = await graphs()
  const started = performance.now()
  const cold = await OnnxFeatureExtractor.load(settings.modelsDir, { threads: 1, cacheDir: settings.cacheDir })
  const graphBuildMs = cold.rebuilt ? performance.now() - started : Number.NaN
  cold.dispose()
  return { graphBuildMs, graphBefore, graphAfter: await graphs() }
}

export async function benchInferExtraction(settings: ExtractSettings): Promise<InferExtraction> {
  const threads = benchThreads()
  const decode = decodeThreads()
  const root = await extractCifar()
  const files = (await balancedFiles(root, 'train', 2 * settings.batches * BATCH)).map((file) => file.src)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-infer-'))
  const listFile = join(work, 'images.txt')
  await writeFile(listFile, files.join('\n'))

  const graph = await buildGraphCold(settings)
  const ort = await OnnxFeatureExtractor.load(settings.modelsDir, { threads, cacheDir: settings.cacheDir })
  const ortOne = await OnnxFeatureExtractor.load(settings.modelsDir, { threads: 1, cacheDir: settings.cacheDir })
  const tfjs = await FeatureExtractor.load(settings.modelsDir, { backend: 'wasm' })
  let pool: BackbonePool | null = null
  const scratch = join(work, 'scratch.pictor')
  const created = await runChild(process.execPath, [PICTOR, 'create', scratch, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
  if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
  const db = new Database(scratch)
  db.pragma('busy_timeout = 5000')
  const result: InferExtraction = {
    threads,
    decode,
    files: files.length,
    ...graph,
    ortBackbone: [],
    ortOneBackbone: [],
    tfjsBackbone: [],
    tfjsOneBackbone: [],
    ortEndToEnd: [],
    tfjsEndToEnd: [],
    torchSkipped: null,
    torchVersion: null,
    torchBackbone: [],
    torchOneBackbone: [],
    torchEndToEnd: []
  }
  // The product's TF.js extraction runs one backbone per feature worker: T workers for T threads.
  const workersBefore = process.env.PICTOR_FEATURE_WORKERS
  process.env.PICTOR_FEATURE_WORKERS = String(threads)
  try {
    const images = await Promise.all(files.slice(0, BATCH).map((file) => preprocessForMobileNet(file)))
    // Warm-ups: the first call of each engine allocates and (wasm) compiles.
    for (const engine of [ort, ortOne, tfjs]) await engine.extract(images)
    pool = await startBackbonePool(threads, settings.modelsDir, files.slice(0, BATCH))
    const signal = new AbortController().signal
    const pictorRound = async (round: number) => {
      const load = loadavg()[0]!.toFixed(2)
      result.ortBackbone.push(await timeBatches((batch) => ort.extract(batch), images, settings.batches))
      result.tfjsBackbone.push((await pool!.run(BATCH, settings.batches)).rate)
      result.ortOneBackbone.push(await timeBatches((batch) => ortOne.extract(batch), images, settings.batches))
      result.tfjsOneBackbone.push(await timeBatches((batch) => tfjs.extract(batch), images, settings.batches))
      // A fresh content hash per file, engine and round: nothing is cached, every file is decoded and run.
      const examples = (tag: string) => files.map((path, index) => ({ imageId: index + 1, path, contentHash: `${tag}${round}:${path}` }))
      const viaOrt = await extractMissingFeatures(db, examples('ort'), { modelsDir: settings.modelsDir, cacheDir: settings.cacheDir, signal, engine: 'onnxruntime' })
      const viaTfjs = await extractMissingFeatures(db, examples('tfjs'), { modelsDir: settings.modelsDir, signal, backend: 'wasm' })
      for (const report of [viaOrt, viaTfjs]) {
        if (report.computed !== files.length) throw new Error(`${report.engine} computed ${report.computed} of ${files.length} images`)
      }
      if (viaOrt.engine !== 'onnxruntime') throw new Error(`expected ONNX Runtime, got ${viaOrt.engine} (${viaOrt.fallback ?? ''})`)
      result.ortEndToEnd.push(viaOrt.imagesPerSecond!)
      result.tfjsEndToEnd.push(viaTfjs.imagesPerSecond!)
      console.log(`  round ${round + 1} Pictor (load average ${load}) images/s: backbone ${threads} thread(s): ONNX Runtime ${result.ortBackbone.at(-1)!.toFixed(1)}, ` +
        `TF.js wasm ${threads} worker(s) ${result.tfjsBackbone.at(-1)!.toFixed(1)}; 1 thread: ONNX Runtime ${result.ortOneBackbone.at(-1)!.toFixed(1)}, ` +
        `TF.js ${result.tfjsOneBackbone.at(-1)!.toFixed(1)}; end to end (${files.length} files, decode on ${decode} libuv threads) ONNX Runtime ` +
        `${viaOrt.imagesPerSecond!.toFixed(1)}, TF.js ${viaTfjs.engine} ${threads} worker(s) ${viaTfjs.imagesPerSecond!.toFixed(1)}`)
    }
    const torchRound = async (round: number) => {
      if (result.torchSkipped) return
      const load = loadavg()[0]!.toFixed(2)
      const configs = [`${threads}:nchw`, ...(threads > 1 ? ['1:nchw'] : [])].join(',')
      const run = await runChild(PYTHON, [TORCH_SCRIPT, '--weights', settings.modelJson, '--configs', configs, '--batch', String(BATCH), '--warmup', '2',
        '--batches', String(settings.batches), '--images', listFile, '--loader-workers', String(decode)]).catch((error: Error) => ({ error }))
      if ('error' in run) {
        result.torchSkipped = `${PYTHON} could not run (${run.error.message})`
        return
      }
      if (run.code !== 0) throw new Error(`${TORCH_SCRIPT} exited ${run.code ?? run.signal}: ${tail(run.stderr)}`)
      const json = JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchJson
      if (json.skipped) {
        result.torchSkipped = json.skipped
        console.log(`  PyTorch SKIPPED: ${json.skipped}`)
        return
      }
      result.torchVersion = `torch ${json.torch}, torchvision ${json.torchvision}, BLAS ${json.blas ?? '?'}`
      const figure = (config: string) => json.backbone?.find((entry) => entry.config === config)?.imagesPerSecond
      const many = figure(`${threads}:nchw`)
      const one = figure(threads > 1 ? '1:nchw' : `${threads}:nchw`)
      if (many !== undefined) result.torchBackbone.push(many)
      if (one !== undefined) result.torchOneBackbone.push(one)
      if (json.endToEnd) result.torchEndToEnd.push(json.endToEnd.imagesPerSecond)
      console.log(`  round ${round + 1} PyTorch (load average ${load}) images/s: backbone ${threads} thread(s) ${many?.toFixed(1) ?? '—'}, ` +
        `1 thread ${one?.toFixed(1) ?? '—'}; end to end (${threads} thread(s), ${decode} DataLoader workers) ${json.endToEnd?.imagesPerSecond.toFixed(1) ?? '—'}`)
    }
    for (let round = 0; round < settings.rounds; round++) {
      // Alternate who goes first, so a burst of load elsewhere does not always hit the same side.
      const order = round % 2 === 0 ? [pictorRound, torchRound] : [torchRound, pictorRound]
      for (const side of order) await side(round)
    }
  } finally {
    if (workersBefore === undefined) delete process.env.PICTOR_FEATURE_WORKERS
    else process.env.PICTOR_FEATURE_WORKERS = workersBefore
    await pool?.close()
    ort.dispose()
    ortOne.dispose()
    tfjs.dispose()
    db.close()
    await rm(work, { recursive: true, force: true })
  }
  return result
}
