// What a MobileNetV2 run stores beside its head, so any later step (evaluation, suggestions,
// export, predict) can rebuild image → probabilities exactly as the head was trained.
import type { RunResult } from '../contract/types'
import type { ExtractionReport } from './features/extract-features'
import type { FeatureSpec } from './features/feature-spec'

export interface TransferInfo {
  baseModel: string
  /** The exact backbone weights the head was trained on. */
  baseModelVersion: string
  /** What the frozen part computed (input size, boundary, precision); absent in runs from before issue 18: the default. */
  featureSpec?: FeatureSpec
  input: [height: number, width: number, channels: number]
  preprocessing: string
  featureSize: number
  /** The stored run model is the head only: backbone + GlobalAveragePooling2D + head = the classifier. */
  storedModel: 'head'
  extraction: Pick<ExtractionReport, 'total' | 'cached' | 'computed' | 'imagesPerSecond' | 'engine'> & { skipped: number }
  /** The settings the head really trained with (after the automatic choices). */
  settings: Record<string, unknown>
}

/** A MobileNetV2 run's result: the shared fields, and how its head was made. */
export interface TransferRunResult extends RunResult {
  transfer: TransferInfo
}

/** The transfer details a finished run recorded in its summary, if it is a MobileNetV2 run. */
export function transferInfoOf(summary: RunResult | null): TransferInfo | null {
  return (summary as Partial<TransferRunResult> | null)?.transfer ?? null
}
