// Part 1 of `npm run bench:transfer`: MobileNetV2 feature extraction at 224×224, images/s. Every ratio
// compares like with like: T threads on each side (T = benchThreads(), the cores this process may use;
// one thread each for the one-core rows), and end to end the same decode parallelism D on each side.
//   Pictor, with the product's code on the wasm backend (one core per thread in Node):
//     backbone     FeatureExtractor.extract on images preprocessed up front (Float32Array 224·224·3):
//                  in T worker threads at once (one backbone each, as its feature workers run), batch 32
//                  and 16; and in this thread alone, batch 32
//     end to end   extractMissingFeatures, the train job's extraction (decode + resize + scale with
//                  sharp on libuv's D threads, overlapped with the backbone, features committed to a
//                  scratch project): with PICTOR_FEATURE_WORKERS=T (batch 16), and in this thread alone
//   PyTorch CPU (Debian python3-torch + python3-torchvision), in a child process: torchvision's mobilenet_v2
//   features + average pooling with Pictor's weights, eval mode, no_grad, batch 32, T threads NCHW (the
//   reference) and channels_last, 1 thread NCHW, and end to end: a DataLoader with D worker processes
//   (PIL decode) feeding the T-thread backbone.
// Timing: backbone figures exclude warm-up batches on both sides; end-to-end figures include the first
// batch and exclude model loading on both sides.
// Pictor and PyTorch alternate in rounds (the machine is shared); the best round of each side is compared.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import Database from 'better-sqlite3'
import { DEFAULT_EXTRACTION_BATCH, extractMissingFeatures } from '../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../src-main/classifier/features/feature-extractor'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'
import { type BackbonePool, startBackbonePool } from './transfer-bench-backbone-pool'
import {
  balancedFiles, benchThreads, decodeThreads, extractCifar, median, MODELS_DIR, PICTOR, PYTHON, requireBaseModel, runChild, type Settings, tail, TORCH_SCRIPT
} from './transfer-bench-common'

/** The PyTorch batch, and Pictor's comparable one. */
export const BATCH = 32
export const GOAL = 1

interface TorchBackbone {
  config: string
  imagesPerSecond: number
  batchMs: number[]
  meanAbsFeature: number
}

interface TorchJson {
  skipped?: string
  torch?: string
  torchvision?: string
  blas?: string
  weights?: string
  backbone?: TorchBackbone[]
  endToEnd?: { config: string; imagesPerSecond: number; decodeShare: number; loaderWorkers: number; batchMs: number[] }
  endToEndSkipped?: string
}

export interface ExtractionResult {
  /** Threads each side gets (Pictor's backbone workers, PyTorch's threads) and images decoded at once. */
  threads: number
  decode: number
  wasmThreads: number | null
  /** images/s per round. */
  workers32: number[]
  workers16: number[]
  single32: number[]
  e2eWorkers: number[]
  /** The same runs' wall time per image, worker start and model loads included. */
  e2eWorkersWall: number[]
  e2eSingle: number[]
  /** Decode + resize + scale of one batch of 16 files (sharp, all 16 in flight), ms per image. */
  decodeMsPerImage: number[]
  torchSkipped: string | null
  torchVersion: string | null
  torchWeights: string | null
  /** images/s per PyTorch configuration ('2:nchw', …), one entry per round it ran in. */
  torch: Map<string, number[]>
  torchE2E: number[]
  torchDecodeShare: number[]
}

const best = (values: number[]) => (values.length ? Math.max(...values) : null)
const rate = (images: number, ms: number) => (images * 1000) / ms
const fmt = (value: number | null | undefined, digits = 1) => (value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits))
async function runTorch(args: string[]): Promise<TorchJson> {
  const run = await runChild(PYTHON, [TORCH_SCRIPT, ...args]).catch((error: Error) => ({ error }))
  if ('error' in run) return { skipped: `${PYTHON} could not run (${run.error.message})` }
  if (run.code !== 0) throw new Error(`${TORCH_SCRIPT} exited ${run.code ?? run.signal}: ${tail(run.stderr)}`)
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as TorchJson
}

export async function benchExtraction(settings: Settings): Promise<ExtractionResult> {
  const modelJson = requireBaseModel()
  const root = await extractCifar()
  // Distinct CIFAR-10 training files: the first BATCH preprocessed for the backbone, all of them end to
  // end (twice the backbone's count: each end-to-end run starts its workers and backbones afresh, as
  // every train job does, and the first batch on a backbone is slow).
  const e2eCount = 2 * settings.batches * BATCH
  const files = (await balancedFiles(root, 'train', e2eCount)).map((f) => f.src)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-transfer-'))
  const listFile = join(work, 'images.txt')
  await writeFile(listFile, files.join('\n'))
  const threads = benchThreads()
  const decode = decodeThreads()

  const t0 = performance.now()
  const extractor = await FeatureExtractor.load(MODELS_DIR, { backend: 'wasm' })
  const loadMs = performance.now() - t0
  let wasmThreads: number | null
  try {
    wasmThreads = getThreadsCount()
  } catch {
    wasmThreads = null
  }
  console.log(`  Pictor: ${extractor.version.slice(0, 48)}… on ${extractor.backend} (tfjs ${tf.version_core}, ${wasmThreads ?? '?'} wasm thread(s) ` +
    `per backbone), loaded in ${(loadMs / 1000).toFixed(1)} s; ${threads} feature worker(s) (PICTOR_FEATURE_WORKERS), extraction batch ` +
    `${DEFAULT_EXTRACTION_BATCH}, decode on libuv's ${decode} threads; PyTorch ${threads} threads, DataLoader ${decode} workers`)
  // A scratch project for the feature cache: made by `pictor create` (the schema comes from the built
  // app; src-main/db/migrations.ts needs Vite's import.meta.glob), then opened directly.
  const scratch = join(work, 'scratch.pictor')
  const created = await runChild(process.execPath, [PICTOR, 'create', scratch, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
  if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
  const db = new Database(scratch)
  db.pragma('busy_timeout = 5000')
  const result: ExtractionResult = {
    threads,
    decode,
    wasmThreads,
    workers32: [],
    workers16: [],
    single32: [],
    e2eWorkers: [],
    e2eWorkersWall: [],
    e2eSingle: [],
    decodeMsPerImage: [],
    torchSkipped: null,
    torchVersion: null,
    torchWeights: null,
    torch: new Map(),
    torchE2E: [],
    torchDecodeShare: []
  }
  let backbones: BackbonePool | null = null
  // The product's TF.js extraction runs one backbone per feature worker: T workers for T threads.
  const workersBefore = process.env.PICTOR_FEATURE_WORKERS
  process.env.PICTOR_FEATURE_WORKERS = String(threads)
  try {
    const images = await Promise.all(files.slice(0, BATCH).map((file) => preprocessForMobileNet(file)))
    const w0 = performance.now()
    await extractor.extract(images) // warm-up: the first call compiles and allocates
    console.log(`  Pictor warm-up in this thread (one batch of ${BATCH}): ${((performance.now() - w0) / 1000).toFixed(1)} s`)
    backbones = await startBackbonePool(threads, MODELS_DIR, files.slice(0, BATCH))
    console.log(`  ${threads} backbone worker(s) loaded and warmed up in ${(backbones.loadMs / 1000).toFixed(1)} s`)

    const pictorRound = async (round: number) => {
      const load = loadavg()[0]!.toFixed(2)
      const w32 = await backbones!.run(BATCH, settings.batches)
      result.workers32.push(w32.rate)
      const w16 = await backbones!.run(16, settings.batches * 2)
      result.workers16.push(w16.rate)
      const s0 = performance.now()
      for (let b = 0; b < settings.batches; b++) await extractor.extract(images)
      result.single32.push(rate(BATCH * settings.batches, performance.now() - s0))
      const d0 = performance.now()
      await Promise.all(files.slice(BATCH, BATCH + 16).map((file) => preprocessForMobileNet(file)))
      result.decodeMsPerImage.push((performance.now() - d0) / 16)
      // A fresh content hash per file, run and round: nothing is cached, every file is decoded and run.
      const examples = (tag: string) => files.map((path, index) => ({ imageId: index + 1, path, contentHash: `${tag}${round}:${path}` }))
      const signal = new AbortController().signal
      const single = await extractMissingFeatures(db, examples('single'), { modelsDir: MODELS_DIR, signal, extractor })
      const product = await extractMissingFeatures(db, examples('workers'), { modelsDir: MODELS_DIR, signal, backend: 'wasm' })
      for (const report of [single, product]) {
        if (report.computed !== files.length) throw new Error(`end to end computed ${report.computed} of ${files.length} images`)
      }
      result.e2eSingle.push(single.imagesPerSecond!)
      result.e2eWorkers.push(product.imagesPerSecond!)
      result.e2eWorkersWall.push(files.length / product.seconds)
      console.log(`  round ${round + 1} Pictor (load average ${load}) images/s: backbone ${threads} workers batch 32 ${w32.rate.toFixed(1)} ` +
        `(per worker ${w32.perWorkerMs.map((ms) => rate(BATCH * settings.batches, ms).toFixed(1)).join(' + ')}), batch 16 ${w16.rate.toFixed(1)}; ` +
        `backbone this thread batch 32 ${result.single32.at(-1)!.toFixed(1)}; end to end (${files.length} files, batch ${DEFAULT_EXTRACTION_BATCH}) ` +
        `${threads} workers ${product.imagesPerSecond!.toFixed(1)} (${result.e2eWorkersWall.at(-1)!.toFixed(1)} with worker start), ` +
        `this thread ${single.imagesPerSecond!.toFixed(1)}; decode+scale alone ${result.decodeMsPerImage.at(-1)!.toFixed(1)} ms/image (16 in flight)`)
    }
    const torchRound = async (round: number) => {
      if (result.torchSkipped) return
      const load = loadavg()[0]!.toFixed(2)
      // The first config is the reference (and runs the end-to-end figure); one thread each also every round.
      const configs = [`${threads}:nchw`, `${threads}:channels_last`, ...(threads > 1 ? ['1:nchw'] : [])].join(',')
      const json = await runTorch(['--weights', modelJson, '--configs', configs, '--batch', String(BATCH), '--warmup', '2',
        '--batches', String(settings.batches), '--images', listFile, '--loader-workers', String(decode)])
      if (json.skipped) {
        result.torchSkipped = json.skipped
        console.log(`  PyTorch SKIPPED: ${json.skipped}`)
        return
      }
      result.torchVersion = `torch ${json.torch}, torchvision ${json.torchvision}, BLAS ${json.blas ?? '?'}`
      result.torchWeights = json.weights ?? null
      const parts: string[] = []
      for (const b of json.backbone ?? []) {
        const list = result.torch.get(b.config) ?? []
        list.push(b.imagesPerSecond)
        result.torch.set(b.config, list)
        parts.push(`${b.config} ${b.imagesPerSecond.toFixed(1)}`)
        if (b.meanAbsFeature < 1e-6) console.log(`  warning: PyTorch ${b.config} features average ${b.meanAbsFeature} (denormals?)`)
      }
      if (json.endToEnd) {
        result.torchE2E.push(json.endToEnd.imagesPerSecond)
        result.torchDecodeShare.push(json.endToEnd.decodeShare)
        parts.push(`end to end ${json.endToEnd.config} + ${json.endToEnd.loaderWorkers} DataLoader workers ${json.endToEnd.imagesPerSecond.toFixed(1)} ` +
          `(waiting for decoded images ${(json.endToEnd.decodeShare * 100).toFixed(0)}% of it)`)
      } else if (json.endToEndSkipped) parts.push(`end to end SKIPPED (${json.endToEndSkipped})`)
      console.log(`  round ${round + 1} PyTorch (load average ${load}) images/s (${result.torchVersion}, batch ${BATCH}, backbone): ${parts.join('; ')}`)
    }
    for (let round = 0; round < settings.rounds; round++) {
      // Alternate who goes first, so a burst of load elsewhere does not always hit the same side.
      if (round % 2 === 0) {
        await pictorRound(round)
        await torchRound(round)
      } else {
        await torchRound(round)
        await pictorRound(round)
      }
    }
  } finally {
    if (workersBefore === undefined) delete process.env.PICTOR_FEATURE_WORKERS
    else process.env.PICTOR_FEATURE_WORKERS = workersBefore
    await backbones?.close()
    extractor.dispose()
    db.close()
    await rm(work, { recursive: true, force: true })
  }
  return result
}

export interface ExtractionRow {
  what: string
  result: string
  note: string
}

/** The figures and ratios of part 1, best round of each side (medians in brackets); every ratio states its threads. */
export function extractionRows(r: ExtractionResult): ExtractionRow[] {
  const show = (values: number[]) => (values.length ? `${fmt(best(values))} images/s (median ${fmt(median(values))})` : 'SKIPPED')
  const t = r.threads
  const th = (n: number) => `${n} thread${n === 1 ? '' : 's'}`
  const rows: ExtractionRow[] = [
    { what: `Pictor backbone, ${t} wasm worker(s) × batch 32 (preprocessed tensors only)`, result: show(r.workers32), note: `${th(t)}: ${r.wasmThreads ?? '?'} wasm thread(s) per backbone` },
    { what: `Pictor backbone, ${t} wasm worker(s) × batch 16 (preprocessed tensors only)`, result: show(r.workers16), note: 'the product batch' },
    { what: 'Pictor backbone, this thread alone, batch 32', result: show(r.single32), note: '1 thread' },
    {
      what: `Pictor end to end, ${t} feature worker(s) × batch ${DEFAULT_EXTRACTION_BATCH} (decode + resize + scale + backbone)`,
      result: show(r.e2eWorkers),
      note: `${th(t)} + decode on ${r.decode} libuv threads; extractMissingFeatures as the train job runs it; ` +
        `${fmt(best(r.e2eWorkersWall))} images/s counting worker start and model loads`
    },
    {
      what: `Pictor end to end, this thread alone, batch ${DEFAULT_EXTRACTION_BATCH}`,
      result: show(r.e2eSingle),
      note: `1 thread + decode on ${r.decode} libuv threads; decode+scale alone ${fmt(median(r.decodeMsPerImage))} ms/image (16 in flight)`
    }
  ]
  if (r.torchSkipped) {
    rows.push({ what: 'PyTorch CPU', result: 'SKIPPED', note: r.torchSkipped })
    return rows
  }
  const torch = (config: string) => r.torch.get(config) ?? []
  rows.push(
    { what: `PyTorch backbone, ${th(t)} NCHW, batch 32 (the reference)`, result: show(torch(`${t}:nchw`)), note: `${r.torchVersion}; ${r.torchWeights}` },
    { what: `PyTorch backbone, ${th(t)} channels_last, batch 32`, result: show(torch(`${t}:channels_last`)), note: 'context' },
    ...(t > 1 ? [{ what: 'PyTorch backbone, 1 thread NCHW, batch 32', result: show(torch('1:nchw')), note: 'for the one-thread ratio' }] : []),
    {
      what: `PyTorch end to end, ${th(t)} NCHW, batch 32, DataLoader with ${r.decode} workers (PIL decode)`,
      result: show(r.torchE2E),
      note: `waiting for decoded images ${fmt(median(r.torchDecodeShare) * 100, 0)}% of the time`
    }
  )
  const ratio = (pictor: number[], reference: number[]) => {
    const a = best(pictor)
    const b = best(reference)
    return a === null || b === null ? '—' : `${(a / b).toFixed(2)}× (medians ${(median(pictor) / median(reference)).toFixed(2)}×)`
  }
  const verdict = (pictor: number[], reference: number[]) => {
    const a = best(pictor)
    const b = best(reference)
    return a === null || b === null ? '' : a / b >= GOAL ? `goal ≥ ${GOAL}× met` : `goal ≥ ${GOAL}× NOT met`
  }
  // Two OpenMP threads lose badly to one when another process holds a core (they wait for each other).
  const many = best(torch(`${t}:nchw`))
  const one = best(torch('1:nchw'))
  if (t > 1 && many !== null && one !== null && many < one) {
    rows.push({ what: 'WARNING', result: 'UNRELIABLE', note: `PyTorch with ${th(t)} (${fmt(many)}) was slower than with 1 (${fmt(one)}): another process held a core; rerun on a quiet machine` })
  }
  rows.push(
    { what: `ratio Pictor/PyTorch backbone, ${th(t)} each (${t} wasm workers × batch 32 vs ${th(t)} NCHW)`, result: ratio(r.workers32, torch(`${t}:nchw`)), note: verdict(r.workers32, torch(`${t}:nchw`)) },
    {
      what: `ratio Pictor/PyTorch end to end, ${th(t)} + ${r.decode} decoders each (${t} feature workers + ${r.decode} libuv threads vs ${th(t)} + ${r.decode} DataLoader workers)`,
      result: ratio(r.e2eWorkers, r.torchE2E),
      note: verdict(r.e2eWorkers, r.torchE2E)
    },
    { what: `ratio Pictor/PyTorch backbone, ${th(t)} each, vs channels_last`, result: ratio(r.workers32, torch(`${t}:channels_last`)), note: 'context' },
    { what: 'ratio Pictor/PyTorch backbone, 1 thread each (this thread vs 1 thread NCHW)', result: ratio(r.single32, torch(t > 1 ? '1:nchw' : `${t}:nchw`)), note: 'context' }
  )
  return rows
}
