// The figures of `npm run bench:infer` part 1 (see infer-bench-extract.ts) and its table rows: every
// ratio row names the threads on each side, and both sides of a ratio have the same number.
import { median } from './bench-util'

export interface InferExtraction {
  /** Threads each side gets (T) and images decoded at once end to end (D), on every side. */
  threads: number
  decode: number
  /** Files run end to end per engine and round. */
  files: number
  /** Building the ONNX graph cold (no graph anywhere before); NaN when the load found one. */
  graphBuildMs: number
  /** ONNX feature graphs in the fresh data folder's cache before and after the build. */
  graphBefore: string[]
  graphAfter: string[]
  /** images/s per round: T threads, and 1 thread. */
  ortBackbone: number[]
  ortOneBackbone: number[]
  tfjsBackbone: number[]
  tfjsOneBackbone: number[]
  ortEndToEnd: number[]
  tfjsEndToEnd: number[]
  torchSkipped: string | null
  torchVersion: string | null
  torchBackbone: number[]
  torchOneBackbone: number[]
  torchEndToEnd: number[]
}

export interface TorchJson {
  skipped?: string
  torch?: string
  torchvision?: string
  blas?: string
  backbone?: { config: string; imagesPerSecond: number }[]
  endToEnd?: { imagesPerSecond: number; loaderWorkers: number }
}

export interface Row {
  part: string
  result: string
  note: string
}

const rate = (images: number, ms: number) => (images * 1000) / ms

/** images/s of `batches` calls of `extract` on the same batch (warmed up beforehand by the caller). */
export async function timeBatches(extract: (images: Float32Array[]) => Promise<unknown>, images: Float32Array[], batches: number): Promise<number> {
  const started = performance.now()
  for (let b = 0; b < batches; b++) await extract(images)
  return rate(images.length * batches, performance.now() - started)
}

const best = (values: number[]) => (values.length ? Math.max(...values) : null)
const show = (values: number[]) => (values.length ? `${best(values)!.toFixed(1)} images/s (median ${median(values).toFixed(1)})` : '—')
const ratio = (a: number[], b: number[]) => {
  const x = best(a)
  const y = best(b)
  return x === null || y === null ? '—' : `${(x / y).toFixed(2)}× (medians ${(median(a) / median(b)).toFixed(2)}×)`
}
const th = (n: number) => `${n} thread${n === 1 ? '' : 's'}`

function graphRow(r: InferExtraction): Row {
  const where = r.graphAfter.length ? `written to <data>/${r.graphAfter.join(', ')}; the models folder untouched` : 'not found on disk after the build'
  const result = Number.isNaN(r.graphBuildMs) ? 'NOT COLD' : `${(r.graphBuildMs / 1000).toFixed(1)} s`
  const before = r.graphBefore.length ? `a graph was already there (${r.graphBefore.join(', ')})` : 'no graph before (fresh data folder)'
  return { part: '1 ONNX feature graph build, cold (once per base model, then cached)', result, note: `${before}; ${where}` }
}

export function inferExtractionRows(r: InferExtraction): Row[] {
  const t = r.threads
  const e2e = `decode + resize + scale + backbone, ${r.files} files, first batch included`
  const rows: Row[] = [
    graphRow(r),
    { part: `1 backbone, ONNX Runtime ${th(t)} (intra-op), batch 32`, result: show(r.ortBackbone), note: 'preprocessed tensors, warm-up excluded' },
    { part: `1 backbone, TF.js wasm ${th(t)} (${t} worker(s), one backbone each), batch 32`, result: show(r.tfjsBackbone), note: 'preprocessed tensors, warm-up excluded' },
    { part: '1 backbone, ONNX Runtime 1 thread, batch 32', result: show(r.ortOneBackbone), note: '' },
    { part: '1 backbone, TF.js wasm 1 thread (this thread), batch 32', result: show(r.tfjsOneBackbone), note: '' },
    { part: `1 end to end, ONNX Runtime ${th(t)} + ${r.decode} decode threads`, result: show(r.ortEndToEnd), note: `extractMissingFeatures, the default engine; ${e2e}` },
    { part: `1 end to end, TF.js wasm ${t} feature worker(s) + ${r.decode} decode threads`, result: show(r.tfjsEndToEnd), note: 'the fallback (PICTOR_INFERENCE=tfjs or a forced backend); PICTOR_FEATURE_WORKERS=' + t },
    { part: `1 ratio ONNX Runtime / TF.js, backbone, ${th(t)} each`, result: ratio(r.ortBackbone, r.tfjsBackbone), note: `ONNX Runtime ${th(t)} vs TF.js ${th(t)}` },
    { part: '1 ratio ONNX Runtime / TF.js, backbone, 1 thread each', result: ratio(r.ortOneBackbone, r.tfjsOneBackbone), note: 'ONNX Runtime 1 thread vs TF.js 1 thread' },
    { part: `1 ratio ONNX Runtime / TF.js, end to end, ${th(t)} + ${r.decode} decode threads each`, result: ratio(r.ortEndToEnd, r.tfjsEndToEnd), note: `ONNX Runtime ${th(t)} vs TF.js ${th(t)}` }
  ]
  if (r.torchSkipped) {
    rows.push({ part: '1 PyTorch CPU', result: 'SKIPPED', note: r.torchSkipped })
    return rows
  }
  rows.push(
    { part: `1 backbone, PyTorch ${th(t)} NCHW, batch 32`, result: show(r.torchBackbone), note: `${r.torchVersion ?? ''}; warm-up excluded` },
    ...(t > 1 ? [{ part: '1 backbone, PyTorch 1 thread NCHW, batch 32', result: show(r.torchOneBackbone), note: '' }] : []),
    {
      part: `1 end to end, PyTorch ${th(t)} + DataLoader with ${r.decode} workers (PIL decode)`,
      result: show(r.torchEndToEnd),
      note: `${e2e}; the workers' start included`
    },
    { part: `1 ratio ONNX Runtime / PyTorch, backbone, ${th(t)} each`, result: ratio(r.ortBackbone, r.torchBackbone), note: `ONNX Runtime ${th(t)} vs PyTorch ${th(t)}` },
    { part: '1 ratio ONNX Runtime / PyTorch, backbone, 1 thread each', result: ratio(r.ortOneBackbone, r.torchOneBackbone), note: 'ONNX Runtime 1 thread vs PyTorch 1 thread' },
    {
      part: `1 ratio ONNX Runtime / PyTorch, end to end, ${th(t)} + ${r.decode} decoders each`,
      result: ratio(r.ortEndToEnd, r.torchEndToEnd),
      note: `ONNX Runtime ${th(t)} + ${r.decode} libuv decode threads vs PyTorch ${th(t)} + ${r.decode} DataLoader workers`
    }
  )
  return rows
}
