import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AUGMENTATION,
  IDENTITY_AUGMENTATION,
  applyAugmentation,
  augment,
  createRandom,
  sampleAugmentation,
  validateAugmentOptions,
  type AugmentParams
} from '../../../../src-main/training/data/augment'
import type { RawPixels } from '../../../../src-main/classifier/decode'

/** A deterministic busy picture, so any unintended change shows. */
function pattern(width: number, height: number, channels: 1 | 3): RawPixels {
  const data = Uint8Array.from({ length: width * height * channels }, (_, index) => (index * 37 + ((index * index) >> 3)) % 256)
  return { data, width, height, channels }
}

/** A black square image with a bright 3×3 blob centred on (x, y). */
function blob(size: number, x: number, y: number): RawPixels {
  const data = new Uint8Array(size * size)
  for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) data[(y + dy) * size + x + dx] = 255
  return { data, width: size, height: size, channels: 1 }
}

/** Intensity-weighted centre of a one-channel image. */
function centroid(image: Uint8Array, size: number): [number, number] {
  let sum = 0
  let sx = 0
  let sy = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const value = image[y * size + x]!
      sum += value
      sx += value * x
      sy += value * y
    }
  }
  return [sx / sum, sy / sum]
}

const params = (changes: Partial<AugmentParams>): AugmentParams => ({ ...IDENTITY_AUGMENTATION, ...changes })
const mean = (data: Uint8Array) => data.reduce((sum, value) => sum + value, 0) / data.length

describe('augment', () => {
  it('is byte-exact identity when every augmentation is off', () => {
    for (const channels of [1, 3] as const) {
      const image = pattern(23, 17, channels)
      const off = [{}, { rotation: 0, widthShift: 0, heightShift: 0, zoom: 0, horizontalFlip: false, brightness: 0 }]
      for (const options of off) {
        const random = createRandom(5)
        for (let i = 0; i < 5; i++) expect(augment(image, options, random)).toEqual(image.data)
      }
      expect(applyAugmentation(image, IDENTITY_AUGMENTATION)).toEqual(image.data)
    }
  })

  it('flips to an exact mirror image, for odd and even widths and both channel counts', () => {
    for (const [width, channels] of [[8, 3], [9, 3], [8, 1], [9, 1]] as const) {
      const image = pattern(width, 5, channels)
      const flipped = applyAugmentation(image, params({ flip: true }))
      for (let y = 0; y < 5; y++) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < channels; c++) {
            expect(flipped[(y * width + x) * channels + c]).toBe(image.data[(y * width + (width - 1 - x)) * channels + c])
          }
        }
      }
    }
  })

  it('flips about half the time when only horizontalFlip is on', () => {
    const image = pattern(6, 4, 3)
    const mirrored = applyAugmentation(image, params({ flip: true }))
    const random = createRandom(11)
    let flips = 0
    for (let i = 0; i < 400; i++) {
      const out = augment(image, { horizontalFlip: true }, random)
      if (Buffer.from(out).equals(Buffer.from(mirrored))) flips++
      else expect(out).toEqual(image.data)
    }
    expect(flips).toBeGreaterThan(150)
    expect(flips).toBeLessThan(250)
  })

  it('gives the same output for the same seed and a different one for another seed', () => {
    const image = pattern(32, 32, 3)
    const run = (seed: number) => augment(image, DEFAULT_AUGMENTATION, createRandom(seed))
    expect(run(42)).toEqual(run(42))
    expect(Buffer.from(run(42)).equals(Buffer.from(run(43)))).toBe(false)
  })

  it('rotates counter-clockwise about the centre: a bright spot lands where the angle says', () => {
    // 41×41, centre (20, 20); the spot starts 10 px right of the centre.
    const image = blob(41, 30, 20)
    for (const degrees of [90, 30, -15, 15, 180]) {
      const [x, y] = centroid(applyAugmentation(image, params({ rotation: degrees })), 41)
      const radians = (degrees * Math.PI) / 180
      // Counter-clockwise on screen, where y grows downwards.
      expect(Math.abs(x - (20 + 10 * Math.cos(radians)))).toBeLessThan(1)
      expect(Math.abs(y - (20 - 10 * Math.sin(radians)))).toBeLessThan(1)
    }
  })

  it('shifts by whole pixels and zooms about the centre', () => {
    const image = blob(41, 25, 20)
    const [sx, sy] = centroid(applyAugmentation(image, params({ shiftX: 6, shiftY: -4 })), 41)
    expect(sx).toBeCloseTo(31, 5)
    expect(sy).toBeCloseTo(16, 5)
    // Magnifying 1.5× moves a point 5 px from the centre to 7.5 px.
    const [zx, zy] = centroid(applyAugmentation(image, params({ zoom: 1.5 })), 41)
    expect(Math.abs(zx - 27.5)).toBeLessThan(0.5)
    expect(Math.abs(zy - 20)).toBeLessThan(0.5)
  })

  it('fills the area uncovered by a shift with the nearest edge pixels, not black', () => {
    const image = { data: new Uint8Array(10 * 10 * 3).fill(90), width: 10, height: 10, channels: 3 as const }
    const out = applyAugmentation(image, params({ shiftX: 4, rotation: 10 }))
    expect(Math.min(...out)).toBe(90)
  })

  it('scales brightness by the drawn factor, clipping at 255', () => {
    const image = pattern(64, 64, 3)
    // Keep values ≤ 200 so a 1.2× factor does not clip.
    image.data.forEach((value, index) => (image.data[index] = 20 + (value % 180)))
    const before = mean(image.data)
    expect(mean(applyAugmentation(image, params({ brightness: 1.2 }))) / before).toBeCloseTo(1.2, 2)
    expect(mean(applyAugmentation(image, params({ brightness: 0.8 }))) / before).toBeCloseTo(0.8, 2)

    const random = createRandom(3)
    for (let i = 0; i < 20; i++) {
      const drawn = sampleAugmentation({ brightness: 0.2 }, createRandom(100 + i), 64, 64)
      expect(drawn.brightness).toBeGreaterThanOrEqual(0.8)
      expect(drawn.brightness).toBeLessThanOrEqual(1.2)
      expect(mean(applyAugmentation(image, drawn)) / before).toBeCloseTo(drawn.brightness, 2)
      expect(augment(image, { brightness: 0.2 }, random).length).toBe(image.data.length)
    }
    const bright = { data: new Uint8Array(12).fill(200), width: 2, height: 2, channels: 3 as const }
    expect(Array.from(applyAugmentation(bright, params({ brightness: 1.5 })))).toEqual(new Array(12).fill(255))
  })

  it('draws parameters inside the configured ranges, and the same draws whatever else is switched off', () => {
    for (let seed = 0; seed < 200; seed++) {
      const drawn = sampleAugmentation(DEFAULT_AUGMENTATION, createRandom(seed), 100, 50)
      expect(Math.abs(drawn.rotation)).toBeLessThanOrEqual(15)
      expect(Math.abs(drawn.shiftX)).toBeLessThanOrEqual(10)
      expect(Math.abs(drawn.shiftY)).toBeLessThanOrEqual(5)
      expect(Math.abs(drawn.zoom - 1)).toBeLessThanOrEqual(0.1)
      const withoutBrightness = sampleAugmentation({ ...DEFAULT_AUGMENTATION, brightness: 0 }, createRandom(seed), 100, 50)
      expect(withoutBrightness).toEqual({ ...drawn, brightness: 1 })
    }
    expect(() => validateAugmentOptions({ rotation: -1 })).toThrow(RangeError)
    expect(() => validateAugmentOptions({ zoom: 1 })).toThrow(/zoom/)
    expect(() => validateAugmentOptions(DEFAULT_AUGMENTATION)).not.toThrow()
  })

  it('is fast enough to run per sample (timings printed, not asserted)', () => {
    for (const [size, channels, runs] of [[32, 3, 2000], [224, 3, 40], [224, 1, 40]] as const) {
      const image = pattern(size, size, channels)
      const out = new Uint8Array(image.data.length)
      const random = createRandom(1)
      for (let i = 0; i < runs; i++) augment(image, DEFAULT_AUGMENTATION, random, out)
      // Best of several rounds: this shows the code's speed, not the machine's other load.
      let best = Infinity
      for (let round = 0; round < 10; round++) {
        const start = performance.now()
        for (let i = 0; i < runs; i++) augment(image, DEFAULT_AUGMENTATION, random, out)
        best = Math.min(best, (performance.now() - start) / runs)
      }
      console.log(`augment ${size}×${size}×${channels}: ${(best * 1000).toFixed(1)} µs per image`)
    }
  })
})
