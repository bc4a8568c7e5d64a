// `npm run bench:infer` part 3 (issue 18): how close end-to-end feature extraction on ONNX Runtime comes
// to the backbone alone, per input size, in one run. For each size and round, interleaved:
//   backbone      OnnxFeatureExtractor.extract on 32 images preprocessed up front, T intra-op threads, with
//                 ONNX Runtime's default spinning threads and with the product's sleeping ones (the faster is the reference)
//   end to end    extractMissingFeatures as a train job runs it (decode + resize + scale + backbone + one
//                 committed transaction per batch) on distinct CIFAR-10 files with fresh content hashes:
//                 "before" = one batch decoded ahead and spinning threads (the pipeline until issue 18),
//                 "now" = the defaults (PREFETCH_BATCHES ahead, sleeping threads), and at 224 px the
//                 defaults with batches of 16 and 64
// Ratios are medians of the rounds: end to end ÷ the faster backbone-only figure of the same size, goal ≥ 1×.
import { loadavg } from 'node:os'
import type { Database } from 'better-sqlite3'
import { extractMissingFeatures, type ExtractionTuning } from '../../src-main/classifier/features/extract-features'
import type { FeatureSpec, InputSize } from '../../src-main/classifier/features/feature-spec'
import { preprocessForMobileNet } from '../../src-main/classifier/features/mobilenet-preprocess'
import { OnnxFeatureExtractor } from '../../src-main/classifier/features/onnx-feature-extractor'
import { balancedFiles, benchThreads, extractCifar, median } from './transfer-bench-common'
import type { Row } from './infer-bench-rows'

export interface PipelineSettings {
  modelsDir: string
  cacheDir: string
  /** A scratch project's database (its feature cache receives every end-to-end run). */
  db: Database
  sizes: InputSize[]
  rounds: number
  /** Distinct files per end-to-end run (also the images run through the backbone per figure). */
  files: number
}

interface Variant {
  name: string
  batchSize?: number
  tuning?: ExtractionTuning
  onlyAt?: InputSize
}

const VARIANTS: Variant[] = [
  { name: 'before (1 batch ahead, spinning threads, batch 32)', tuning: { prefetchBatches: 1, spinning: true } },
  { name: 'now (defaults: batch 32)' },
  { name: 'now, batch 16', batchSize: 16, onlyAt: 224 },
  { name: 'now, batch 64', batchSize: 64, onlyAt: 224 }
]

export interface SizeFigures {
  size: InputSize
  /** images/s per round. */
  backboneSpinning: number[]
  backboneSleeping: number[]
  endToEnd: Map<string, number[]>
  loads: number[]
}

const BATCH = 32

export async function benchPipeline(settings: PipelineSettings): Promise<SizeFigures[]> {
  const threads = benchThreads()
  const files = (await balancedFiles(await extractCifar(), 'train', settings.files)).map((file) => file.src)
  const figures: SizeFigures[] = []
  for (const size of settings.sizes) {
    const spec: FeatureSpec = { inputSize: size, boundary: 'pooled', precision: 'float32' }
    const spinning = await OnnxFeatureExtractor.load(settings.modelsDir, { threads, cacheDir: settings.cacheDir, spec, spinning: true })
    const sleeping = await OnnxFeatureExtractor.load(settings.modelsDir, { threads, cacheDir: settings.cacheDir, spec, spinning: false })
    const result: SizeFigures = { size, backboneSpinning: [], backboneSleeping: [], endToEnd: new Map(), loads: [] }
    try {
      const images = await Promise.all(files.slice(0, BATCH).map((file) => preprocessForMobileNet(file, size)))
      for (const extractor of [spinning, sleeping]) await extractor.extract(images) // warm-up
      const backbone = async (extractor: OnnxFeatureExtractor) => {
        const batches = Math.max(1, Math.round(settings.files / BATCH))
        const started = performance.now()
        for (let b = 0; b < batches; b++) await extractor.extract(images)
        return (batches * BATCH * 1000) / (performance.now() - started)
      }
      for (let round = 0; round < settings.rounds; round++) {
        result.loads.push(loadavg()[0]!)
        const variants = VARIANTS.filter((variant) => variant.onlyAt === undefined || variant.onlyAt === size)
        // Alternate the order each round, so a burst of load elsewhere does not always hit the same figure.
        const order = round % 2 === 0 ? variants : [...variants].reverse()
        result.backboneSpinning.push(await backbone(spinning))
        for (const variant of order) {
          const examples = files.map((path, index) => ({ imageId: index + 1, path, contentHash: `${size}:${variant.name}:${round}:${path}` }))
          const report = await extractMissingFeatures(settings.db, examples, {
            modelsDir: settings.modelsDir,
            cacheDir: settings.cacheDir,
            signal: new AbortController().signal,
            engine: 'onnxruntime',
            spec,
            ...(variant.batchSize ? { batchSize: variant.batchSize } : {}),
            ...(variant.tuning ? { tuning: variant.tuning } : {})
          })
          if (report.computed !== files.length || report.engine !== 'onnxruntime') {
            throw new Error(`${variant.name} at ${size} px: ${report.engine} computed ${report.computed} of ${files.length} (${report.fallback ?? ''})`)
          }
          result.endToEnd.set(variant.name, [...(result.endToEnd.get(variant.name) ?? []), report.imagesPerSecond!])
        }
        result.backboneSleeping.push(await backbone(sleeping))
        const e2e = [...result.endToEnd].map(([name, values]) => `${name.split(' (')[0]} ${values.at(-1)!.toFixed(1)}`).join(', ')
        console.log(`  ${size} px round ${round + 1} (load average ${result.loads.at(-1)!.toFixed(2)}) images/s: backbone spinning ` +
          `${result.backboneSpinning.at(-1)!.toFixed(1)}, sleeping ${result.backboneSleeping.at(-1)!.toFixed(1)}; end to end ${e2e}`)
      }
    } finally {
      spinning.dispose()
      sleeping.dispose()
    }
    figures.push(result)
  }
  return figures
}

export function pipelineRows(figures: SizeFigures[], files: number): Row[] {
  const rows: Row[] = []
  const fmt = (values: number[]) => `${median(values).toFixed(1)} images/s`
  for (const f of figures) {
    // The reference is the faster backbone of the two, so a handicapped reference cannot flatter a ratio.
    const reference = Math.max(median(f.backboneSpinning), median(f.backboneSleeping))
    const loads = `load average ${Math.min(...f.loads).toFixed(2)}–${Math.max(...f.loads).toFixed(2)}`
    rows.push(
      { part: `3 ${f.size} px backbone only, ONNX Runtime's default spinning threads`, result: fmt(f.backboneSpinning), note: `median of ${f.backboneSpinning.length}; ${loads}` },
      { part: `3 ${f.size} px backbone only, sleeping threads (the product's)`, result: fmt(f.backboneSleeping), note: `the faster of the two is the reference: ${reference.toFixed(1)} images/s` }
    )
    for (const [name, values] of f.endToEnd) {
      const ratio = median(values) / reference
      rows.push({
        part: `3 ${f.size} px end to end, ${name}`,
        result: fmt(values),
        note: `${ratio.toFixed(2)}× the backbone alone (goal ≥ 1×${ratio >= 1 ? ' met' : ' NOT met'}); ${files} files, [${values.map((v) => v.toFixed(1)).join(', ')}]`
      })
    }
  }
  return rows
}
