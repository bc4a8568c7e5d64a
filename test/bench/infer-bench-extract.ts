// Part 1 of `npm run bench:infer`: MobileNetV2 feature extraction at 224×224, images/s, in one run:
//   ONNX Runtime   OnnxFeatureExtractor (one session, intra-op threads = cores): the backbone on
//                  preprocessed tensors, and end to end through extractMissingFeatures (decode + resize +
//                  scale overlapped with inference, features committed to a scratch project)
//   TF.js wasm     FeatureExtractor in this thread (one core: wasm runs one thread per backbone), and end to
//                  end as the product ran it before ONNX Runtime (feature workers, one backbone per core)
//   PyTorch CPU    test/bench/pytorch/mobilenet_v2_features.py in a child process (2 threads NCHW, batch 32,
//                  Pictor's weights), backbone and end to end; SKIPPED when python3-torch is absent
// The sides alternate in rounds (the machine is shared); the best round of each is compared.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { extractMissingFeatures } from '../../src-main/classifier/features/extract-features'
import { FeatureExtractor } from '../../src-main/classifier/features/feature-extractor'
import { featureWorkerCount } from '../../src-main/classifier/features/feature-workers'
import { OnnxFeatureExtractor } from '../../src-main/classifier/features/onnx-feature-extractor'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'
import { balancedFiles, extractCifar, median, PICTOR, PYTHON, runChild, tail, TORCH_SCRIPT } from './transfer-bench-common'

export const BATCH = 32

export interface ExtractSettings {
  modelsDir: string
  modelJson: string
  rounds: number
  batches: number
}

export interface InferExtraction {
  threads: number
  workers: number
  /** Building the ONNX graph from the TF.js model (once per base model version; cached on disk after). */
  graphBuildMs: number
  ortBackbone: number[]
  tfjsBackbone: number[]
  ortEndToEnd: number[]
  tfjsEndToEnd: number[]
  torchSkipped: string | null
  torchVersion: string | null
  torchBackbone: number[]
  torchEndToEnd: number[]
}

interface TorchJson {
  skipped?: string
  torch?: string
  torchvision?: string
  backbone?: { config: string; imagesPerSecond: number }[]
  endToEnd?: { imagesPerSecond: number }
}

const rate = (images: number, ms: number) => (images * 1000) / ms

async function timeBatches(extract: (images: Float32Array[]) => Promise<unknown>, images: Float32Array[], batches: number): Promise<number> {
  const started = performance.now()
  for (let b = 0; b < batches; b++) await extract(images)
  return rate(images.length * batches, performance.now() - started)
}

export async function benchInferExtraction(settings: ExtractSettings): Promise<InferExtraction> {
  const root = await extractCifar()
  const files = (await balancedFiles(root, 'train', 2 * settings.batches * BATCH)).map((file) => file.src)
  const work = await mkdtemp(join(tmpdir(), 'pictor-bench-infer-'))
  const listFile = join(work, 'images.txt')
  await writeFile(listFile, files.join('\n'))

  // The graph as a fresh install builds it: remove the cached one, time the rebuild.
  const modelFolder = dirname(settings.modelJson)
  for (const name of await readdir(modelFolder)) if (/^features-.*\.onnx$/.test(name)) await rm(join(modelFolder, name))
  const graphStarted = performance.now()
  const cold = await OnnxFeatureExtractor.load(settings.modelsDir, { threads: 1 })
  const graphBuildMs = cold.rebuilt ? performance.now() - graphStarted : Number.NaN
  cold.dispose()

  const ort = await OnnxFeatureExtractor.load(settings.modelsDir)
  const tfjs = await FeatureExtractor.load(settings.modelsDir, { backend: 'wasm' })
  const scratch = join(work, 'scratch.pictor')
  const created = await runChild(process.execPath, [PICTOR, 'create', scratch, '--json'], { env: { ...process.env, PICTOR_DATA_DIR: join(work, 'data') } })
  if (created.code !== 0) throw new Error(`pictor create exited ${created.code ?? created.signal}: ${tail(created.stderr)}`)
  const db = new Database(scratch)
  db.pragma('busy_timeout = 5000')
  const result: InferExtraction = {
    threads: availableParallelism(),
    workers: featureWorkerCount(),
    graphBuildMs,
    ortBackbone: [],
    tfjsBackbone: [],
    ortEndToEnd: [],
    tfjsEndToEnd: [],
    torchSkipped: null,
    torchVersion: null,
    torchBackbone: [],
    torchEndToEnd: []
  }
  try {
    const images = await Promise.all(files.slice(0, BATCH).map((file) => preprocessForMobileNet(file)))
    // Warm-ups: the first call of each engine allocates and (wasm) compiles.
    await ort.extract(images)
    await tfjs.extract(images)
    const signal = new AbortController().signal
    const pictorRound = async (round: number) => {
      const load = loadavg()[0]!.toFixed(2)
      result.ortBackbone.push(await timeBatches((batch) => ort.extract(batch), images, settings.batches))
      result.tfjsBackbone.push(await timeBatches((batch) => tfjs.extract(batch), images, settings.batches))
      // A fresh content hash per file, engine and round: nothing is cached, every file is decoded and run.
      const examples = (tag: string) => files.map((path, index) => ({ imageId: index + 1, path, contentHash: `${tag}${round}:${path}` }))
      const viaOrt = await extractMissingFeatures(db, examples('ort'), { modelsDir: settings.modelsDir, signal, engine: 'onnxruntime' })
      const viaTfjs = await extractMissingFeatures(db, examples('tfjs'), { modelsDir: settings.modelsDir, signal, backend: 'wasm' })
      for (const report of [viaOrt, viaTfjs]) {
        if (report.computed !== files.length) throw new Error(`${report.engine} computed ${report.computed} of ${files.length} images`)
      }
      if (viaOrt.engine !== 'onnxruntime') throw new Error(`expected ONNX Runtime, got ${viaOrt.engine} (${viaOrt.fallback ?? ''})`)
      result.ortEndToEnd.push(viaOrt.imagesPerSecond!)
      result.tfjsEndToEnd.push(viaTfjs.imagesPerSecond!)
      console.log(`  round ${round + 1} Pictor (load average ${load}) images/s: backbone ONNX Runtime ${result.ortBackbone.at(-1)!.toFixed(1)}, ` +
        `TF.js wasm (this thread) ${result.tfjsBackbone.at(-1)!.toFixed(1)}; end to end (${files.length} files) ONNX Runtime ` +
        `${viaOrt.imagesPerSecond!.toFixed(1)}, TF.js ${viaTfjs.engine} ${result.workers} worker(s) ${viaTfjs.imagesPerSecond!.toFixed(1)}`)
    }
    const torchRound = async (round: number) => {
      if (result.torchSkipped) return
      const load = loadavg()[0]!.toFixed(2)
      const run = await runChild(PYTHON, [TORCH_SCRIPT, '--weights', settings.modelJson, '--configs', '2:nchw', '--batch', String(BATCH), '--warmup', '2',
        '--batches', String(settings.batches), '--images', listFile, '--e2e-batches', String(settings.batches)]).catch((error: Error) => ({ error }))
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
      result.torchVersion = `torch ${json.torch}, torchvision ${json.torchvision}`
      const backbone = json.backbone?.find((entry) => entry.config === '2:nchw')
      if (backbone) result.torchBackbone.push(backbone.imagesPerSecond)
      if (json.endToEnd) result.torchEndToEnd.push(json.endToEnd.imagesPerSecond)
      console.log(`  round ${round + 1} PyTorch (load average ${load}) images/s: backbone ${backbone?.imagesPerSecond.toFixed(1) ?? '—'}, ` +
        `end to end ${json.endToEnd?.imagesPerSecond.toFixed(1) ?? '—'}`)
    }
    for (let round = 0; round < settings.rounds; round++) {
      // Alternate who goes first, so a burst of load elsewhere does not always hit the same side.
      const order = round % 2 === 0 ? [pictorRound, torchRound] : [torchRound, pictorRound]
      for (const side of order) await side(round)
    }
  } finally {
    await ort.dispose()
    tfjs.dispose()
    db.close()
    await rm(work, { recursive: true, force: true })
  }
  return result
}

export interface Row {
  part: string
  result: string
  note: string
}

const best = (values: number[]) => (values.length ? Math.max(...values) : null)
const show = (values: number[]) => (values.length ? `${best(values)!.toFixed(1)} images/s (median ${median(values).toFixed(1)})` : '—')
const ratio = (a: number[], b: number[]) => {
  const x = best(a)
  const y = best(b)
  return x === null || y === null ? '—' : `${(x / y).toFixed(2)}× (medians ${(median(a) / median(b)).toFixed(2)}×)`
}

export function inferExtractionRows(r: InferExtraction): Row[] {
  const rows: Row[] = [
    { part: '1 ONNX feature graph build (once per base model, then cached beside it)', result: Number.isNaN(r.graphBuildMs) ? '—' : `${(r.graphBuildMs / 1000).toFixed(1)} s`, note: 'TF.js model → ONNX, written to features-<hash>.onnx' },
    { part: `1 backbone, ONNX Runtime (${r.threads} intra-op threads), batch ${BATCH}`, result: show(r.ortBackbone), note: 'preprocessed tensors only' },
    { part: `1 backbone, TF.js wasm in one thread, batch ${BATCH}`, result: show(r.tfjsBackbone), note: 'one core (wasm runs one thread per backbone)' },
    { part: '1 end to end, ONNX Runtime (decode + resize + scale + backbone)', result: show(r.ortEndToEnd), note: 'extractMissingFeatures, the default engine now' },
    { part: `1 end to end, TF.js wasm, ${r.workers} feature worker(s)`, result: show(r.tfjsEndToEnd), note: 'the fallback (PICTOR_INFERENCE=tfjs or a forced backend)' },
    { part: '1 ratio ONNX Runtime / TF.js, end to end', result: ratio(r.ortEndToEnd, r.tfjsEndToEnd), note: 'all cores each' },
    { part: '1 ratio ONNX Runtime (all cores) / TF.js (one core), backbone', result: ratio(r.ortBackbone, r.tfjsBackbone), note: 'context' }
  ]
  if (r.torchSkipped) rows.push({ part: '1 PyTorch CPU', result: 'SKIPPED', note: r.torchSkipped })
  else {
    rows.push(
      { part: `1 backbone, PyTorch 2 threads NCHW, batch ${BATCH}`, result: show(r.torchBackbone), note: r.torchVersion ?? '' },
      { part: '1 end to end, PyTorch (PIL decode, then the backbone)', result: show(r.torchEndToEnd), note: '' },
      { part: '1 ratio ONNX Runtime / PyTorch, backbone', result: ratio(r.ortBackbone, r.torchBackbone), note: '' },
      { part: '1 ratio ONNX Runtime / PyTorch, end to end', result: ratio(r.ortEndToEnd, r.torchEndToEnd), note: '' }
    )
  }
  return rows
}
