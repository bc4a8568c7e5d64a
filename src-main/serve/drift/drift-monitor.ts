// The server's drift monitor: a sliding window over the last N images answered, judged against
// the run's DriftReference. observe() is O(classes + k·d) per image (ring buffers with running
// counts; each image's features projected once, on arrival); report() sorts the window's k
// projections and merges them with the reference samples — a few milliseconds for 500 × 16 — and
// is cached until the next observation.
import type { DriftMonitorLike, DriftReference, DriftReport } from '../serve-types'
import { bonferroniLevel, ksTest } from './kolmogorov-smirnov'
import { populationStabilityIndex, sharesOf } from './population-stability'
import { project } from './principal-components'

export interface DriftThresholds {
  /** PSI of predicted-class shares above this is drift (the rule of thumb: > 0.2 is a significant shift). */
  classPsi: number
  /** Family-wise level of the per-component KS tests; each component rejects at alpha / k (Bonferroni). */
  alpha: number
  /** Low-confidence share this much (absolute) above the reference's is drift. */
  lowConfidenceIncrease: number
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { classPsi: 0.2, alpha: 0.01, lowConfidenceIncrease: 0.2 }
export const DEFAULT_WINDOW_SIZE = 500

export interface DriftMonitorOptions {
  windowSize?: number
  /**
   * Nothing is flagged below this many observed images. Default max(50, 10 × classes): with no
   * drift the PSI of n predictions over k classes is about (k − 1)/n by sampling alone, so 10
   * images per class keep that below 0.1, half the threshold.
   */
  minimumObserved?: number
  thresholds?: Partial<DriftThresholds>
}

export class DriftMonitor implements DriftMonitorLike {
  readonly windowSize: number
  readonly minimumObserved: number
  readonly thresholds: DriftThresholds
  readonly #reference: DriftReference
  readonly #classes: number
  readonly #components: number
  // Ring buffers over the last windowSize images: predicted class and whether it was low confidence.
  readonly #predicted: Int32Array
  readonly #lowConfidence: Uint8Array
  readonly #classCounts: Float64Array
  #lowConfidenceCount = 0
  #next = 0
  #observed = 0
  // Projections of images that came with features, in their own ring (a batch may come without).
  readonly #projections: Float64Array
  #featureNext = 0
  #featureObserved = 0
  #cached: DriftReport | null = null

  constructor(reference: DriftReference, options: DriftMonitorOptions = {}) {
    this.#reference = reference
    this.#classes = reference.labels.length
    this.windowSize = Math.max(1, Math.floor(options.windowSize ?? DEFAULT_WINDOW_SIZE))
    this.minimumObserved = Math.min(this.windowSize, options.minimumObserved ?? Math.max(50, 10 * this.#classes))
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds }
    this.#components = reference.features?.components.length ?? 0
    this.#predicted = new Int32Array(this.windowSize)
    this.#lowConfidence = new Uint8Array(this.windowSize)
    this.#classCounts = new Float64Array(this.#classes)
    this.#projections = new Float64Array(this.windowSize * this.#components)
  }

  observe(probabilities: readonly Float32Array[], features: readonly Float32Array[] | null): void {
    if (features !== null && features.length !== probabilities.length) {
      throw new RangeError(`${probabilities.length} predictions came with ${features.length} feature vectors`)
    }
    probabilities.forEach((row, index) => {
      this.#observeOne(row)
      const vector = features?.[index]
      if (vector && this.#components > 0) this.#observeFeatures(vector)
    })
    if (probabilities.length > 0) this.#cached = null
  }

  report(): DriftReport {
    this.#cached ??= this.#compute()
    return this.#cached
  }

  #observeOne(row: Float32Array): void {
    if (row.length !== this.#classes) throw new RangeError(`a prediction has ${row.length} probabilities, the reference ${this.#classes} labels`)
    let best = 0
    for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i
    const low = row[best]! < this.#reference.lowConfidenceThreshold ? 1 : 0
    const slot = this.#next
    if (this.#observed === this.windowSize) {
      this.#classCounts[this.#predicted[slot]!]! -= 1
      this.#lowConfidenceCount -= this.#lowConfidence[slot]!
    } else {
      this.#observed++
    }
    this.#predicted[slot] = best
    this.#lowConfidence[slot] = low
    this.#classCounts[best]! += 1
    this.#lowConfidenceCount += low
    this.#next = (slot + 1) % this.windowSize
  }

  #observeFeatures(vector: Float32Array): void {
    const { mean, components } = this.#reference.features!
    if (vector.length !== mean.length) throw new RangeError(`a feature vector has ${vector.length} values, the reference ${mean.length}`)
    const offset = this.#featureNext * this.#components
    components.forEach((component, c) => (this.#projections[offset + c] = project(vector, mean, component)))
    this.#featureNext = (this.#featureNext + 1) % this.windowSize
    this.#featureObserved = Math.min(this.windowSize, this.#featureObserved + 1)
  }

  #compute(): DriftReport {
    const reference = this.#reference
    const classPsi = this.#observed > 0 ? populationStabilityIndex(reference.classShares, sharesOf(this.#classCounts)) : 0
    const lowConfidenceShare = this.#observed > 0 ? this.#lowConfidenceCount / this.#observed : 0
    const components = this.#componentTests()
    const reasons: string[] = []
    if (this.#observed >= this.minimumObserved) {
      if (classPsi > this.thresholds.classPsi) reasons.push('class_psi')
      const level = bonferroniLevel(this.thresholds.alpha, components.length)
      if (this.#featureObserved >= this.minimumObserved && components.some((test) => test.pValue < level)) reasons.push('features_ks')
      if (lowConfidenceShare - reference.lowConfidenceShare > this.thresholds.lowConfidenceIncrease) reasons.push('low_confidence')
    }
    return {
      observed: this.#observed,
      windowSize: this.windowSize,
      minimumObserved: this.minimumObserved,
      classPsi,
      lowConfidenceShare,
      referenceLowConfidenceShare: reference.lowConfidenceShare,
      lowConfidenceThreshold: reference.lowConfidenceThreshold,
      components,
      thresholds: { ...this.thresholds },
      reasons,
      drift: reasons.length > 0
    }
  }

  /** Per component: the window's projections (sorted) against the reference's sorted samples. */
  #componentTests(): DriftReport['components'] {
    const samples = this.#reference.features?.samples
    if (!samples || this.#featureObserved === 0) return []
    const window = new Float64Array(this.#featureObserved)
    return samples.map((reference, c) => {
      for (let i = 0; i < this.#featureObserved; i++) window[i] = this.#projections[i * this.#components + c]!
      window.sort()
      return { index: c, ...ksTest(window, reference) }
    })
  }
}
