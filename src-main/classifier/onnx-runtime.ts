// ONNX Runtime as an optional inference engine. onnxruntime-node is an optionalDependency with a
// native binding: where it is missing or its binding does not load, inference falls back to tfjs,
// so everything here answers "not available, because ..." instead of throwing at import time.
// The package stays external to the bundle (electron.vite.config.ts): a .node file cannot be bundled.
import { availableParallelism } from 'node:os'
import type * as Ort from 'onnxruntime-node'
import type { InferenceReport } from '../contract/types'
import { AppError } from '../core/errors'

export type OrtModule = typeof Ort

export type OnnxRuntimeLoad = { ort: OrtModule; version: string; reason: null } | { ort: null; version: null; reason: string }

let loading: Promise<OnnxRuntimeLoad> | null = null
let loaded: OnnxRuntimeLoad | null = null

/** Loads onnxruntime-node once per thread; null with the reason when it is not usable here. */
export function loadOnnxRuntime(): Promise<OnnxRuntimeLoad> {
  loading ??= (async (): Promise<OnnxRuntimeLoad> => {
    try {
      // A computed specifier keeps the bundler from resolving (and inlining) the optional package.
      const specifier = 'onnxruntime-node'
      const imported = (await import(/* @vite-ignore */ specifier)) as OrtModule & { default?: OrtModule }
      const ort = imported.InferenceSession ? imported : imported.default!
      if (!ort?.InferenceSession) throw new Error('the package has no InferenceSession')
      return { ort, version: ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'unknown', reason: null }
    } catch (error) {
      return { ort: null, version: null, reason: `onnxruntime-node is not available: ${(error as Error).message.split('\n')[0]}` }
    }
  })().then((result) => (loaded = result))
  return loading
}

/**
 * Which engine inference uses, synchronously: ONNX Runtime once loadOnnxRuntime() has found it,
 * tfjs otherwise (including before the first load; call and await loadOnnxRuntime() at startup
 * for an exact answer).
 */
export function probeOnnxRuntime(): InferenceReport {
  if (loaded?.ort) return { engine: 'onnxruntime', label: `ONNX Runtime ${loaded.version} (CPU)` }
  return { engine: 'tfjs', label: loaded?.reason ? `TensorFlow.js (${loaded.reason})` : 'TensorFlow.js' }
}

export interface OnnxModelOptions {
  /** Threads one inference may use; all logical cores by default. */
  threads?: number
  /**
   * Accept graph outputs after the first (e.g. a server's drift features): run() still answers the
   * first, runAll() answers them all. Off by default: an exported classifier has exactly one.
   */
  extraOutputs?: boolean
  /**
   * Whether idle intra-op threads spin waiting for work (ONNX Runtime's default) or sleep. Off where
   * other work shares the cores, e.g. feature extraction decoding the next batches meanwhile: a
   * spinning thread takes the core a decoder needs. Default on.
   */
  spinning?: boolean
}

export interface OnnxOutput {
  values: Float32Array
  shape: number[]
}

/** One exported model in an ONNX Runtime session: NHWC float32 in, the model's output out. */
export class OnnxModel {
  private session: Ort.InferenceSession | null

  private constructor(
    private readonly ort: OrtModule,
    session: Ort.InferenceSession,
    readonly inputName: string,
    readonly outputName: string
  ) {
    this.session = session
  }

  /** Throws AppError('UNSUPPORTED') when ONNX Runtime is not installed (probeOnnxRuntime says why). */
  static async create(bytes: Uint8Array, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const { ort, reason } = await loadOnnxRuntime()
    if (!ort) throw new AppError('UNSUPPORTED', reason)
    const threads = options.threads ?? availableParallelism()
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: Math.max(1, Math.floor(threads)),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {})
    })
    const inputName = session.inputNames[0]
    const outputName = session.outputNames[0]
    const outputsOk = options.extraOutputs ? session.outputNames.length >= 1 : session.outputNames.length === 1
    if (session.inputNames.length !== 1 || !outputsOk || !inputName || !outputName) {
      await session.release()
      throw new AppError('UNSUPPORTED', `expected an ONNX model with 1 input and 1 output, got ${session.inputNames.length} and ${session.outputNames.length}`)
    }
    return new OnnxModel(ort, session, inputName, outputName)
  }

  /** Runs one batch; `shape` is the input's, e.g. [batch, 224, 224, 3]. */
  async run(input: Float32Array, shape: number[]): Promise<Float32Array> {
    return (await this.runWithShape(input, shape)).values
  }

  /** run(), also giving the output's shape (e.g. [batch, classes]). */
  async runWithShape(input: Float32Array, shape: number[]): Promise<OnnxOutput> {
    if (!this.session) throw new Error('this ONNX model was disposed')
    const size = shape.reduce((product, side) => product * side, 1)
    if (size !== input.length) throw new RangeError(`input has ${input.length} values, shape [${shape}] needs ${size}`)
    const tensor = new this.ort.Tensor('float32', input, shape)
    const results = await this.session.run({ [this.inputName]: tensor })
    const output = results[this.outputName]!
    try {
      if (output.type !== 'float32') throw new Error(`the model's output is ${output.type}, not float32`)
      // A copy: the result's buffer belongs to the runtime's tensor, released below.
      return { values: (output.data as Float32Array).slice(), shape: output.dims.map(Number) }
    } finally {
      output.dispose()
      tensor.dispose()
    }
  }

  /** One batch, every graph output by name (for a model created with extraOutputs). */
  async runAll(input: Float32Array, shape: number[]): Promise<Record<string, OnnxOutput>> {
    if (!this.session) throw new Error('this ONNX model was disposed')
    const size = shape.reduce((product, side) => product * side, 1)
    if (size !== input.length) throw new RangeError(`input has ${input.length} values, shape [${shape}] needs ${size}`)
    const tensor = new this.ort.Tensor('float32', input, shape)
    const results = await this.session.run({ [this.inputName]: tensor })
    try {
      const answer: Record<string, OnnxOutput> = {}
      for (const [name, output] of Object.entries(results)) {
        if (output.type !== 'float32') throw new Error(`the model's output ${name} is ${output.type}, not float32`)
        answer[name] = { values: (output.data as Float32Array).slice(), shape: output.dims.map(Number) }
      }
      return answer
    } finally {
      for (const output of Object.values(results)) output.dispose()
      tensor.dispose()
    }
  }

  async dispose(): Promise<void> {
    const session = this.session
    this.session = null
    await session?.release()
  }
}
