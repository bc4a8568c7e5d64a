// Stage 2's learning rate when the user left it empty. The top blocks hold ImageNet knowledge that a
// large step destroys in a few batches; Keras's fine-tuning guide uses a rate ~10–100× below the
// head's (Adam 1e-3 here). Fewer images mean noisier gradients and faster overfitting, yet also
// fewer steps to move at all, so small projects get the top of the range:
//   1e-4 up to 1,000 training images, 1e-4 · 1000 / n above (5e-5 at 2,000), never below 1e-5 (≥ 10,000).

export const FINE_TUNE_RATE_MAX = 1e-4
export const FINE_TUNE_RATE_MIN = 1e-5
/** Training images up to which the largest rate is used. */
export const FINE_TUNE_RATE_KNEE = 1000

export interface FineTuneRate {
  learningRate: number
  chosen: boolean
}

export function fineTuneRate(setting: number | null, trainImages: number): FineTuneRate {
  if (setting !== null) return { learningRate: setting, chosen: false }
  const scaled = (FINE_TUNE_RATE_MAX * FINE_TUNE_RATE_KNEE) / Math.max(1, trainImages)
  // Two significant digits, so notes and settings read 5e-5, not 0.00004999….
  const learningRate = Number(Math.min(FINE_TUNE_RATE_MAX, Math.max(FINE_TUNE_RATE_MIN, scaled)).toPrecision(2))
  return { learningRate, chosen: true }
}
