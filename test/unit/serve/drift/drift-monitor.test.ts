import { describe, expect, it } from 'vitest'
import { buildDriftReference, parseDriftReference, referenceMismatch, thinSorted } from '../../../../src-main/serve/drift/drift-reference'
import { DriftMonitor } from '../../../../src-main/serve/drift/drift-monitor'
import { createRandom } from '../../../../src-main/training/data/random'

// The monitor on data whose distribution is known: a reference built from Gaussian "features" and
// class labels, then windows drawn from the same distribution (no drift), with shifted features,
// a changed class mix, or flattened confidence (each flagged for its own reason), the sliding
// window forgetting old images, and nothing flagged below the minimum.

const LABELS = ['cat', 'dog', 'fox']
const D = 24

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}

/** One image: a class, confident probabilities for it, and features whose mean depends on the class. */
function sampleImage(random: () => number, options: { shares?: number[]; shift?: number; confidence?: number } = {}) {
  const shares = options.shares ?? [0.5, 0.3, 0.2]
  let u = random()
  let label = 0
  while (label < shares.length - 1 && u >= shares[label]!) u -= shares[label++]!
  const top = options.confidence ?? 0.8 + 0.19 * random()
  const probabilities = Float32Array.from(LABELS, (_, i) => (i === label ? top : (1 - top) / (LABELS.length - 1)))
  const features = Float32Array.from({ length: D }, (_, j) => (j === label ? 3 : 0) + gaussian(random) * (1 + j / D) + (options.shift ?? 0))
  return { label, probabilities, features }
}

function reference(seed = 1) {
  const random = createRandom(seed)
  const images = Array.from({ length: 1500 }, () => sampleImage(random))
  return buildDriftReference({
    labels: LABELS,
    labelIndices: images.map((image) => image.label),
    probabilities: images.map((image) => image.probabilities),
    features: images.map((image) => image.features)
  })
}

function feed(monitor: DriftMonitor, count: number, random: () => number, options: Parameters<typeof sampleImage>[1] = {}): void {
  // In batches, as a server calls it.
  for (let done = 0; done < count; done += 8) {
    const batch = Array.from({ length: Math.min(8, count - done) }, () => sampleImage(random, options))
    monitor.observe(
      batch.map((image) => image.probabilities),
      batch.map((image) => image.features)
    )
  }
}

describe('drift reference', () => {
  it('holds class shares, the low-confidence share, 16 unit components and at most 1000 sorted samples each', () => {
    const ref = reference()
    expect(ref.labels).toEqual(LABELS)
    expect(ref.classShares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(ref.classShares[0]).toBeCloseTo(0.5, 1)
    expect(ref.lowConfidenceShare).toBe(0)
    expect(ref.lowConfidenceThreshold).toBe(0.5)
    expect(ref.features!.mean).toHaveLength(D)
    expect(ref.features!.components).toHaveLength(16)
    for (const component of ref.features!.components) expect(Math.hypot(...component)).toBeCloseTo(1, 5)
    for (const samples of ref.features!.samples) {
      expect(samples).toHaveLength(1000)
      expect(samples).toEqual([...samples].sort((a, b) => a - b))
    }
    expect(thinSorted([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5])
    expect(thinSorted([1, 2], 3)).toEqual([1, 2])
  })

  it('reads back from JSON exactly, and says what is wrong with a bad one', () => {
    const ref = reference()
    expect(parseDriftReference(JSON.parse(JSON.stringify(ref)))).toEqual({ ok: true, reference: ref })
    expect(parseDriftReference({ ...ref, classShares: [1] })).toMatchObject({ ok: false, message: expect.stringContaining('one class share per label') })
    expect(parseDriftReference({ ...ref, version: 2 })).toMatchObject({ ok: false, message: expect.stringMatching(/^version: /) })
    expect(parseDriftReference(null)).toMatchObject({ ok: false })
  })

  it('says when it cannot judge a model: other labels, another order, another feature length', () => {
    const ref = reference()
    expect(referenceMismatch(ref, LABELS, D)).toBeNull()
    expect(referenceMismatch(ref, LABELS)).toBeNull()
    expect(referenceMismatch({ ...ref, features: null }, LABELS, 1280)).toBeNull()
    expect(referenceMismatch(ref, ['dog', 'cat', 'fox'])).toBe("the drift reference's labels (cat, dog, fox) are not the model's (dog, cat, fox)")
    expect(referenceMismatch(ref, ['cat', 'dog'])).toMatch(/are not the model's/)
    expect(referenceMismatch(ref, LABELS, 1280)).toBe('the drift reference has 24 features per image, the model gives 1280')
  })
})

describe('drift monitor', () => {
  it('flags nothing for images from the training distribution', () => {
    const monitor = new DriftMonitor(reference())
    feed(monitor, 500, createRandom(2))
    const report = monitor.report()
    expect(report).toMatchObject({ observed: 500, windowSize: 500, minimumObserved: 50, drift: false, reasons: [] })
    expect(report.classPsi).toBeLessThan(0.05)
    expect(report.components).toHaveLength(16)
    expect(Math.min(...report.components.map((c) => c.pValue))).toBeGreaterThan(0.01 / 16)
    expect(report.thresholds).toEqual({ classPsi: 0.2, alpha: 0.01, lowConfidenceIncrease: 0.2 })
  })

  it('flags shifted features by KS, a changed class mix by PSI, and flat probabilities by low confidence', () => {
    const shifted = new DriftMonitor(reference())
    feed(shifted, 200, createRandom(3), { shift: 0.6 })
    expect(shifted.report()).toMatchObject({ drift: true, reasons: ['features_ks'] })

    const mix = new DriftMonitor(reference())
    feed(mix, 200, createRandom(4), { shares: [0.1, 0.2, 0.7] })
    const mixReport = mix.report()
    expect(mixReport.reasons).toContain('class_psi')
    expect(mixReport.classPsi).toBeGreaterThan(0.2)

    const unsure = new DriftMonitor(reference())
    feed(unsure, 200, createRandom(5), { confidence: 0.45 })
    const unsureReport = unsure.report()
    expect(unsureReport.lowConfidenceShare).toBe(1)
    expect(unsureReport.reasons).toEqual(['low_confidence'])
  })

  it('flags nothing below the minimum, and forgets images that left the window', () => {
    const monitor = new DriftMonitor(reference(), { windowSize: 100 })
    feed(monitor, 40, createRandom(6), { shares: [0, 0, 1], shift: 2 })
    expect(monitor.report()).toMatchObject({ observed: 40, drift: false, reasons: [] })
    feed(monitor, 60, createRandom(7), { shares: [0, 0, 1], shift: 2 })
    expect(monitor.report()).toMatchObject({ observed: 100, drift: true })
    feed(monitor, 100, createRandom(8))
    expect(monitor.report()).toMatchObject({ observed: 100, drift: false })
  })

  it('judges class mix and confidence alone when the model gives no features', () => {
    const noFeatures = { ...reference(), features: null }
    const monitor = new DriftMonitor(noFeatures)
    const random = createRandom(9)
    const batch = Array.from({ length: 120 }, () => sampleImage(random, { shift: 5 }))
    monitor.observe(batch.map((image) => image.probabilities), null)
    expect(monitor.report()).toMatchObject({ components: [], drift: false })
    const skewed = Array.from({ length: 120 }, () => sampleImage(random, { shares: [0, 1, 0] }))
    monitor.observe(skewed.map((image) => image.probabilities), null)
    expect(monitor.report().reasons).toEqual(['class_psi'])
  })

  it('caches the report until the next observation, and refuses predictions that do not fit the reference', () => {
    const monitor = new DriftMonitor(reference())
    feed(monitor, 60, createRandom(10))
    const first = monitor.report()
    expect(monitor.report()).toBe(first)
    feed(monitor, 8, createRandom(11))
    expect(monitor.report()).not.toBe(first)
    expect(() => monitor.observe([new Float32Array(2)], null)).toThrow(RangeError)
    expect(() => monitor.observe([new Float32Array(3)], [new Float32Array(5)])).toThrow(RangeError)
    expect(() => monitor.observe([new Float32Array(3)], [])).toThrow(RangeError)
  })

  it('costs little per report with a full window of 500 × 16 components', () => {
    const monitor = new DriftMonitor(reference())
    const random = createRandom(12)
    feed(monitor, 500, random)
    const started = performance.now()
    for (let i = 0; i < 20; i++) {
      feed(monitor, 1, random)
      monitor.report()
    }
    expect((performance.now() - started) / 20).toBeLessThan(20)
  })
})
