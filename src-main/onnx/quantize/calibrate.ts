// Calibration: runs the float graph on sample images with the activations to be quantized added
// as graph outputs, and records each one's range. 'minmax' keeps the extremes seen; 'percentile'
// clips the rare outliers (a few pixels of one image can stretch a ReLU's range and waste most
// of the 256 levels on values almost nothing has) using a strided sample of every tensor's values.
import { DataType, decodeModel, encodeModel, type ModelMessage } from '../onnx-schema'

export type CalibrationMethod = 'minmax' | 'percentile'

export interface CalibrationOptions {
  method: CalibrationMethod
  /** For 'percentile': the share of values kept inside the range, in percent (default 99.99). */
  percentile?: number
  /** Images per run of the calibration graph (its extra outputs are large: keep it small). */
  batchSize?: number
  signal?: AbortSignal
}

export interface TensorRange {
  min: number
  max: number
  /** Mean of each channel (axis 1, NCHW) over every image and position: for bias correction. */
  channelMeans: Float64Array
}

/** What calibration needs of an ONNX Runtime session that answers every graph output (OnnxModel.runAll). */
export interface CalibrationSession {
  runAll(input: Float32Array, shape: number[]): Promise<Record<string, { values: Float32Array; shape?: number[] }>>
  dispose(): Promise<void> | void
}
export type OpenCalibrationSession = (bytes: Uint8Array) => Promise<CalibrationSession>

/** Images to calibrate on: each a preprocessed NHWC float32 image of `shape` (without the batch). */
export interface CalibrationImages {
  shape: readonly number[]
  count: number
  /** The image at `index` (0 ≤ index < count). */
  get(index: number): Promise<Float32Array>
}

const DEFAULT_PERCENTILE = 99.99
const DEFAULT_BATCH = 4
/** Values sampled per tensor for percentiles: 1e-4 tails of 200k values are 20 values each. */
const SAMPLE_CAP = 200_000

/** The float model with `tensors` also answered as outputs (their shapes left to the runtime). */
export function withActivationOutputs(model: ModelMessage, tensors: readonly string[]): Uint8Array {
  const existing = new Set(model.graph.output.map((output) => output.name))
  // No shape at all (an empty one would mean a scalar): the runtime infers it.
  const extra = tensors.filter((name) => !existing.has(name)).map((name) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } }))
  return encodeModel({ ...model, graph: { ...model.graph, output: [...model.graph.output, ...extra] } } as unknown as ModelMessage)
}

export async function calibrateRanges(
  floatGraph: Uint8Array,
  tensors: readonly string[],
  images: CalibrationImages,
  open: OpenCalibrationSession,
  options: CalibrationOptions
): Promise<Map<string, TensorRange>> {
  if (images.count === 0) throw new Error('calibration needs at least one image')
  const session = await open(withActivationOutputs(decodeModel(floatGraph), tensors))
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const perImage = images.shape.reduce((product, side) => product * side, 1)
  const collectors = new Map(tensors.map((name) => [name, new RangeCollector(options.method === 'percentile', images.count)]))
  try {
    for (let start = 0; start < images.count; start += batchSize) {
      options.signal?.throwIfAborted()
      const count = Math.min(batchSize, images.count - start)
      const input = new Float32Array(count * perImage)
      for (let i = 0; i < count; i++) input.set(await images.get(start + i), i * perImage)
      const outputs = await session.runAll(input, [count, ...images.shape])
      for (const [name, collector] of collectors) {
        const output = outputs[name]
        if (!output) throw new Error(`the calibration graph did not answer ${name}`)
        collector.add(output.values, output.shape?.[1] ?? 1, count)
      }
    }
  } finally {
    await session.dispose()
  }
  const percentile = options.percentile ?? DEFAULT_PERCENTILE
  return new Map([...collectors].map(([name, collector]) => [name, collector.range(percentile)]))
}

class RangeCollector {
  private min = Infinity
  private max = -Infinity
  private readonly samples: number[] = []
  private sums: Float64Array | null = null
  private counted = 0

  constructor(
    private readonly sampling: boolean,
    private readonly images: number
  ) {}

  add(values: Float32Array, channels: number, images: number): void {
    const sums = (this.sums ??= new Float64Array(channels))
    const plane = values.length / images / channels
    for (let i = 0, p = 0; i < values.length; p++) {
      const channel = p % channels
      let sum = 0
      for (const end = i + plane; i < end; i++) {
        const value = values[i]!
        if (value < this.min) this.min = value
        if (value > this.max) this.max = value
        sum += value
      }
      sums[channel] = sums[channel]! + sum
    }
    this.counted += images * plane
    if (!this.sampling) return
    // A stride that spreads SAMPLE_CAP values over all images (known up front), the same every run.
    const perImage = values.length / images
    const stride = Math.max(1, Math.floor((perImage * this.images) / SAMPLE_CAP))
    for (let i = 0; i < values.length; i += stride) this.samples.push(values[i]!)
  }

  range(percentile: number): TensorRange {
    const channelMeans = Float64Array.from(this.sums ?? [], (sum) => sum / this.counted)
    if (!this.sampling || this.samples.length === 0) return { min: this.min, max: this.max, channelMeans }
    const sorted = Float64Array.from(this.samples).sort()
    const tail = (100 - percentile) / 100
    const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(share * (sorted.length - 1))))]!
    return { min: at(tail), max: at(1 - tail), channelMeans }
  }
}
