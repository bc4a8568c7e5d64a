// The seams of `pictor serve` (issue 16), written first so the server, its metrics and its drift
// monitor can be built side by side: the server (http + batching) predicts with a ServeModel,
// counts into ServeMetrics and feeds a DriftMonitor; nothing else crosses between them.
import type { ServeDriftReport, ServeStats } from '../contract/serve'

/** The model a server answers with: one ONNX Runtime session, preprocessing from the model's metadata. */
export interface ServeModel {
  /** The name in URLs (/v2/models/{name}, /v1/models/{name}). */
  name: string
  /** Class names in output order. */
  labels: string[]
  /** [height, width, channels] of one preprocessed input (NHWC float32). */
  inputShape: [number, number, number]
  /** model input = byte * scale + offset (the model's metadata). */
  preprocessing: { scale: number; offset: number; description: string }
  /** Image file bytes (JPEG/PNG/WebP/… any size) → one preprocessed input. Throws DecodeError for bytes that are no image, or too many pixels. */
  preprocessBuffer(bytes: Buffer): Promise<Float32Array>
  /** One batched model call: probabilities per image, and the drift features per image where the model gives them (else null). */
  predict(batch: readonly Float32Array[]): Promise<{ probabilities: Float32Array[]; features: Float32Array[] | null }>
  dispose(): void
}

/** What a server counts (Prometheus names in src-main/serve/serve-metrics.ts). */
export interface ServeMetricsSink {
  /** One finished HTTP request: which endpoint family ('v2_infer', 'v1_predict', 'predict', 'metadata', 'health', 'drift', 'metrics', 'not_found') and its status code. */
  request(endpoint: string, code: number): void
  /** Seconds spent: 'end_to_end' (request in → response out) or 'model' (one batched model call). */
  duration(stage: 'end_to_end' | 'model', seconds: number): void
  /** Images in one model call. */
  batch(size: number): void
  /** The predicted label of each image answered. */
  predictions(labels: readonly string[]): void
  drift(report: DriftReport): void
}

/** The drift verdict: declared once, in the contract, so the app's renderer reads the same shape. */
export type DriftReport = ServeDriftReport

/**
 * What a run's training images looked like, for drift: stored with the run (and written as
 * drift-reference.json into every export). Features are the model's own (MobileNetV2's pooled
 * features, or a CNN's penultimate layer), projected onto their top principal components.
 */
export interface DriftReference {
  version: 1
  labels: string[]
  /** Share of training images per label, in `labels` order (sums to 1). */
  classShares: number[]
  /** Share of training images the model itself answered with top probability below the threshold. */
  lowConfidenceShare: number
  lowConfidenceThreshold: number
  /** null when the model gives no features (e.g. an imported ONNX classifier). */
  features: {
    /** Length d: subtracted before projecting. */
    mean: number[]
    /** k × d: the top k principal directions (unit length). */
    components: number[][]
    /** k arrays: the training images' projections on each component, sorted ascending (at most ~1000 each). */
    samples: number[][]
  } | null
}

/** Keeps a sliding window of recent predictions and judges it against a DriftReference. */
export interface DriftMonitorLike {
  observe(probabilities: readonly Float32Array[], features: readonly Float32Array[] | null): void
  report(): DriftReport
}

/** A server's figures for the app's Monitor view (one snapshot): declared once, in the contract. */
export type ServerStats = ServeStats

/** A running `pictor serve` (in the CLI's process, or the app's serve worker). */
export interface RunningServer {
  url: string
  name: string
  stats(): ServerStats
  /** Stops accepting, drains in-flight requests, frees the model. */
  close(): Promise<void>
}
