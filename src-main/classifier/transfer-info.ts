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
  /**
   * 'head': the stored run model is the head only (backbone + GlobalAveragePooling2D + head = the
   * classifier). 'top': stage 2 fine-tuned the top blocks; the stored model is blocks 14–16 + Conv_1
   * (batch norm folded) + pooling + head, on featureSpec's block_14_input (backbone to block 13 + it).
   */
  storedModel: 'head' | 'top'
  extraction: Pick<ExtractionReport, 'total' | 'cached' | 'computed' | 'imagesPerSecond' | 'engine'> & { skipped: number }
  /** The settings the head really trained with (after the automatic choices). */
  settings: Record<string, unknown>
  /** Stage 2, when the run fine-tuned the top blocks after the head. */
  fineTune?: FineTuneInfo
}

export interface FineTuneInfo {
  /** How many of blocks 16, 15, 14 trained (with Conv_1 and the head). */
  blocks: number
  /** Epochs stage 2 ran (the run's epochs from `firstEpoch` on) and the most it could run. */
  epochsRun: number
  maxEpochs: number
  firstEpoch: number
  learningRate: number
  /** Whether the learning rate was chosen from the data (the setting was left empty). */
  learningRateChosen: boolean
  /** Dropout before the head in stage 2 (at least 0.5); half of each training batch is mirrored. */
  dropout: number
  /** The head alone (stage 1): its epochs and its validation figures at its best weights. */
  stage1: { epochs: number; bestEpoch: number | null; valLoss: number | null; valAccuracy: number | null }
  /** Stage 2's activations: how many were extracted and how many came from the cache. */
  extraction: Pick<ExtractionReport, 'total' | 'cached' | 'computed' | 'imagesPerSecond' | 'engine'>
}

/** A MobileNetV2 run's result: the shared fields, and how its head was made. */
export interface TransferRunResult extends RunResult {
  transfer: TransferInfo
}

/** The transfer details a finished run recorded in its summary, if it is a MobileNetV2 run. */
export function transferInfoOf(summary: RunResult | null): TransferInfo | null {
  return (summary as Partial<TransferRunResult> | null)?.transfer ?? null
}
