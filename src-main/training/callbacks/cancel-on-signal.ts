import type { LoopState, TrainingCallback } from './callback'

/** Ends training after the current batch once the job is cancelled (a batch takes well under a second). */
export class CancelOnSignal implements TrainingCallback {
  constructor(private readonly signal: AbortSignal) {}

  onBatchEnd(_logs: unknown, state: LoopState): void {
    if (this.signal.aborted) {
      state.stopTraining = true
      state.stopReason = 'cancelled'
    }
  }
}
