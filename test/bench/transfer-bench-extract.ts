// Part 1 of `npm run bench:transfer`: MobileNetV2 feature extraction at 224×224, images/s.
//   Pictor, with the product's code on the wasm backend (one core per thread in Node):
//     backbone     FeatureExtractor.extract on images preprocessed up front (Float32Array 224·224·3):
//                  in W worker threads at once (W = the product's feature worker count, one backbone
//                  each, as its feature workers run), batch 32 and 16; and in this thread alone, batch 32
//     end to end   extractMissingFeatures, the train job's extraction (decode + resize + scale with
//                  sharp overlapped with the backbone, features committed to a scratch project): as the
//                  product runs it (W feature workers, batch 16), and in this thread alone
//   PyTorch CPU (Debian python3-torch + python3-torchvision), in a child process: torchvision's mobilenet_v2
//   features + average pooling with Pictor's weights, eval mode, no_grad, batch 32, 2 threads NCHW (the
//   reference), channels_last and 1 thread for context, and end to end (PIL decode, then the backbone).
// Pictor and PyTorch alternate in rounds (the machine is shared); the best round of each side is compared.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import Database from 'better-sqlite3'
import { DEFAULT_EXTRACTION_BATCH, extractMissingFeatures } from '../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../src-main/classifier/features/feature-extractor'
import { featureWorkerCount } from '../../src-main/classifier/features/feature-workers'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'
import type { BackboneWorkerData, FromBackboneWorker, ToBackboneWorker } from './transfer-bench-backbone-worker'
import { balancedFiles, extractCifar, median, MODELS_DIR, PICTOR, PYTHON, requireBaseModel, runChild, type Settings, tail, TORCH_SCRIPT } from './transfer-bench-common'
import { startTsWorker } from './transfer-bench-module-paths'

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
  weights?: string
  backbone?: TorchBackbone[]
  endToEnd?: { config: string; imagesPerSecond: number; decodeShare: number; batchMs: number[] }
  endToEndSkipped?: string
}

export interface ExtractionResult {
  workers: number
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
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** W backbone workers, started and warmed up together; `run` times one batch size on all of them at once. */
async function startBackboneWorkers(count: number, files: string[]) {
  const file = new URL('./transfer-bench-backbone-worker.ts', import.meta.url)
  const workers: Worker[] = []
  const next = (worker: Worker) =>
    new Promise<FromBackboneWorker>((resolve, reject) => {
      const onMessage = (message: FromBackboneWorker) => {
        worker.off('error', onError)
        if (message.type === 'failed') reject(new Error(`backbone worker: ${message.message}`))
        else resolve(message)
      }
      const onError = (error: Error) => {
        worker.off('message', onMessage)
        reject(error)
      }
      worker.once('message', onMessage).once('error', onError)
    })
  for (let i = 0; i < count; i++) workers.push(startTsWorker(file, { modelsDir: MODELS_DIR, files } satisfies BackboneWorkerData))
  try {
    const ready = await Promise.all(workers.map(next))
    const loadMs = Math.max(...ready.map((m) => (m.type === 'ready' ? m.loadMs : 0)))
    return {
      loadMs,
      async run(batch: number, batches: number): Promise<{ rate: number; wallMs: number; perWorkerMs: number[] }> {
        const t0 = performance.now()
        const done = Promise.all(workers.map(next))
        for (const worker of workers) worker.postMessage({ type: 'run', batch, batches } satisfies ToBackboneWorker)
        const answers = await done
        const wallMs = performance.now() - t0
        const perWorkerMs = answers.map((m) => (m.type === 'done' ? sum(m.ms) : Number.NaN))
        return { rate: rate(count * batch * batches, wallMs), wallMs, perWorkerMs }
      },
      async close() {
        for (const worker of workers) worker.postMessage({ type: 'close' } satisfies ToBackboneWorker)
        await Promise.all(workers.map((worker) => worker.terminate()))
      }
    }
  } catch (error) {
    await Promise.all(workers.map((worker) => worker.terminate()))
    throw error
  }
}

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
  const workerCount = featureWorkerCount()

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
    `per backbone), loaded in ${(loadMs / 1000).toFixed(1)} s; product: ${workerCount} feature worker(s), extraction batch ${DEFAULT_EXTRACTION_BATCH}`)
  // A scratch project for the feature cache: made by `pictor create` (the schema comes from the built
  // app; src-main/db/migrations.ts needs Vite's import.meta.glob), then opened directly.
  const scratch = join(work, 'scratch.pictor')
  const created = await runChild(process.execPath, [PICTOR, 'create', scratch, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
  if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
  const db = new Database(scratch)
  db.pragma('busy_timeout = 5000')
  const result: ExtractionResult = {
    workers: workerCount,
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
  let backbones: Awaited<ReturnType<typeof startBackboneWorkers>> | null = null
  try {
    const images = await Promise.all(files.slice(0, BATCH).map((file) => preprocessForMobileNet(file)))
    const w0 = performance.now()
    await extractor.extract(images) // warm-up: the first call compiles and allocates
    console.log(`  Pictor warm-up in this thread (one batch of ${BATCH}): ${((performance.now() - w0) / 1000).toFixed(1)} s`)
    backbones = await startBackboneWorkers(workerCount, files.slice(0, BATCH))
    console.log(`  ${workerCount} backbone worker(s) loaded and warmed up in ${(backbones.loadMs / 1000).toFixed(1)} s`)

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
      console.log(`  round ${round + 1} Pictor (load average ${load}) images/s: backbone ${workerCount} workers batch 32 ${w32.rate.toFixed(1)} ` +
        `(per worker ${w32.perWorkerMs.map((ms) => rate(BATCH * settings.batches, ms).toFixed(1)).join(' + ')}), batch 16 ${w16.rate.toFixed(1)}; ` +
        `backbone this thread batch 32 ${result.single32.at(-1)!.toFixed(1)}; end to end (${files.length} files, batch ${DEFAULT_EXTRACTION_BATCH}) ` +
        `${workerCount} workers ${product.imagesPerSecond!.toFixed(1)} (${result.e2eWorkersWall.at(-1)!.toFixed(1)} with worker start), ` +
        `this thread ${single.imagesPerSecond!.toFixed(1)}; decode+scale alone ${result.decodeMsPerImage.at(-1)!.toFixed(1)} ms/image (16 in flight)`)
    }
    const torchRound = async (round: number) => {
      if (result.torchSkipped) return
      const load = loadavg()[0]!.toFixed(2)
      const configs = round === 0 ? '2:nchw,2:channels_last,1:nchw' : '2:nchw,2:channels_last'
      const json = await runTorch(['--weights', modelJson, '--configs', configs, '--batch', String(BATCH), '--warmup', '2',
        '--batches', String(settings.batches), '--images', listFile, '--e2e-batches', String(settings.batches)])
      if (json.skipped) {
        result.torchSkipped = json.skipped
        console.log(`  PyTorch SKIPPED: ${json.skipped}`)
        return
      }
      result.torchVersion = `torch ${json.torch}, torchvision ${json.torchvision}`
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
        parts.push(`end to end ${json.endToEnd.config} ${json.endToEnd.imagesPerSecond.toFixed(1)} (decode ${(json.endToEnd.decodeShare * 100).toFixed(0)}% of it)`)
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

/** The figures and ratios of part 1, best round of each side (medians in brackets). */
export function extractionRows(r: ExtractionResult): ExtractionRow[] {
  const show = (values: number[]) => (values.length ? `${fmt(best(values))} images/s (median ${fmt(median(values))})` : 'SKIPPED')
  const w = `${r.workers} worker${r.workers === 1 ? '' : 's'}`
  const rows: ExtractionRow[] = [
    { what: `Pictor backbone, ${w} × batch 32 (preprocessed tensors only)`, result: show(r.workers32), note: `wasm, ${r.wasmThreads ?? '?'} thread(s) per backbone` },
    { what: `Pictor backbone, ${w} × batch 16 (preprocessed tensors only)`, result: show(r.workers16), note: 'the product batch' },
    { what: 'Pictor backbone, this thread alone, batch 32', result: show(r.single32), note: 'one core' },
    {
      what: `Pictor end to end, ${w} × batch ${DEFAULT_EXTRACTION_BATCH} (decode + resize + scale + backbone)`,
      result: show(r.e2eWorkers),
      note: `extractMissingFeatures as the train job runs it; ${fmt(best(r.e2eWorkersWall))} images/s counting worker start and model loads`
    },
    {
      what: `Pictor end to end, this thread alone, batch ${DEFAULT_EXTRACTION_BATCH}`,
      result: show(r.e2eSingle),
      note: `decode+scale alone ${fmt(median(r.decodeMsPerImage))} ms/image (16 in flight)`
    }
  ]
  if (r.torchSkipped) {
    rows.push({ what: 'PyTorch CPU', result: 'SKIPPED', note: r.torchSkipped })
    return rows
  }
  const torch = (config: string) => r.torch.get(config) ?? []
  rows.push(
    { what: 'PyTorch backbone, 2 threads NCHW, batch 32 (the reference)', result: show(torch('2:nchw')), note: `${r.torchVersion}; ${r.torchWeights}` },
    { what: 'PyTorch backbone, 2 threads channels_last, batch 32', result: show(torch('2:channels_last')), note: 'context' },
    { what: 'PyTorch backbone, 1 thread NCHW, batch 32', result: show(torch('1:nchw')), note: 'context (first round only)' },
    { what: 'PyTorch end to end, 2 threads NCHW, batch 32 (PIL decode, one file at a time)', result: show(r.torchE2E), note: `decode ${fmt(median(r.torchDecodeShare) * 100, 0)}% of the time` }
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
  const two = best(torch('2:nchw'))
  const one = best(torch('1:nchw'))
  const contended = two !== null && one !== null && two < one
  if (contended) {
    rows.push({ what: 'WARNING', result: 'UNRELIABLE', note: `PyTorch with 2 threads (${fmt(two)}) was slower than with 1 (${fmt(one)}): another process held a core; rerun on a quiet machine` })
  }
  rows.push(
    { what: `ratio Pictor/PyTorch backbone (${w} × batch 32 vs 2 threads NCHW)`, result: ratio(r.workers32, torch('2:nchw')), note: verdict(r.workers32, torch('2:nchw')) },
    { what: `ratio Pictor/PyTorch end to end (${w} vs 2 threads NCHW)`, result: ratio(r.e2eWorkers, r.torchE2E), note: verdict(r.e2eWorkers, r.torchE2E) },
    { what: 'ratio Pictor/PyTorch backbone vs 2 threads channels_last', result: ratio(r.workers32, torch('2:channels_last')), note: 'context' },
    { what: 'ratio Pictor/PyTorch backbone, one core each (this thread vs 1 thread NCHW)', result: ratio(r.single32, torch('1:nchw')), note: 'context' }
  )
  return rows
}
