// Stage 2's learning rate when the user left it empty. The top blocks hold ImageNet knowledge that a
// large step destroys in a few batches; Keras's fine-tuning guide uses 1e-5 (the head here: Adam 1e-3).
// Measured on 1,800 CIFAR-10 training images at 128 px (README "MobileNetV2 in one click"): at 5e-5 the
// top blocks memorised the training split within one epoch (train accuracy 88 → 96 %) while validation
// loss only rose; at 1e-5 validation loss fell. Tiny projects take only a step or two an epoch, so they
// get more per step:
//   1e-4 up to 200 training images, 1e-4 · 200 / n above, never below 1e-5 (n ≥ 2,000).

export const FINE_TUNE_RATE_MAX = 1e-4
export const FINE_TUNE_RATE_MIN = 1e-5
/** Training images up to which the largest rate is used. */
export const FINE_TUNE_RATE_KNEE = 200

export interface FineTuneRate {
  learningRate: number
  chosen: boolean
}

export function fineTuneRate(setting: number | null, trainImages: number): FineTuneRate {
  if (setting !== null) return { learningRate: setting, chosen: false }
  const scaled = (FINE_TUNE_RATE_MAX * FINE_TUNE_RATE_KNEE) / Math.max(1, trainImages)
  // Two significant digits, so notes and settings read 2e-5, not 0.0000199….
  const learningRate = Number(Math.min(FINE_TUNE_RATE_MAX, Math.max(FINE_TUNE_RATE_MIN, scaled)).toPrecision(2))
  return { learningRate, chosen: true }
}
