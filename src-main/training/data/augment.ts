// On-the-fly augmentation in plain JavaScript on 8-bit HWC pixels: it runs the same on every tfjs
// backend (cpu, wasm, node, webgl) and inside worker threads, and never allocates tensors.
import type { RawPixels } from '../../classifier/decode'
import { symmetric, type Random } from './random'

export { createRandom, mixSeed, type Random } from './random'

/** Which augmentations run and how strongly. A missing or zero field is off. */
export interface AugmentOptions {
  /** Largest rotation either way, in degrees (the seed used 15). */
  rotation?: number
  /** Largest horizontal shift either way, as a fraction of the width (Keras width_shift_range). */
  widthShift?: number
  /** Largest vertical shift either way, as a fraction of the height. */
  heightShift?: number
  /** Largest zoom either way: the scale is drawn from [1 - zoom, 1 + zoom]. */
  zoom?: number
  /** Mirror left–right half the time. */
  horizontalFlip?: boolean
  /** Largest brightness change either way: pixels are multiplied by [1 - b, 1 + b]. */
  brightness?: number
}

/** The seed model's augmentation plus the zoom and brightness the issue asks for. */
export const DEFAULT_AUGMENTATION: Readonly<Required<AugmentOptions>> = Object.freeze({
  rotation: 15,
  widthShift: 0.1,
  heightShift: 0.1,
  zoom: 0.1,
  horizontalFlip: true,
  brightness: 0.2
})

/** One drawn augmentation: what applyAugmentation does to one image. */
export interface AugmentParams {
  /** Degrees, positive = counter-clockwise as seen on screen (as Keras RandomRotation). */
  rotation: number
  /** Pixels, positive = content moves right / down. */
  shiftX: number
  shiftY: number
  /** Scale about the centre; above 1 magnifies (zooms in). */
  zoom: number
  flip: boolean
  /** Multiplier on every channel value. */
  brightness: number
}

export const IDENTITY_AUGMENTATION: Readonly<AugmentParams> = Object.freeze({
  rotation: 0,
  shiftX: 0,
  shiftY: 0,
  zoom: 1,
  flip: false,
  brightness: 1
})

/** Throws a RangeError naming the first out-of-range setting. */
export function validateAugmentOptions(options: AugmentOptions): void {
  const check = (name: keyof AugmentOptions, value: number | undefined, max: number) => {
    if (value !== undefined && !(value >= 0 && value <= max)) {
      throw new RangeError(`augmentation ${name} must be in [0, ${max}], got ${value}`)
    }
  }
  check('rotation', options.rotation, 180)
  check('widthShift', options.widthShift, 1)
  check('heightShift', options.heightShift, 1)
  // Below 1: a zoom of 1 could draw a scale of 0, i.e. an infinitely magnified image.
  check('zoom', options.zoom, 0.95)
  check('brightness', options.brightness, 1)
}

/** True when the options change anything at all. */
export function isAugmenting(options: AugmentOptions | undefined): boolean {
  if (!options) return false
  const { rotation, widthShift, heightShift, zoom, horizontalFlip, brightness } = options
  return Boolean(rotation || widthShift || heightShift || zoom || horizontalFlip || brightness)
}

/**
 * Draws one augmentation. Always consumes six numbers in a fixed order, whatever is enabled, so
 * with the same seed, switching one augmentation off leaves the others' draws unchanged (the UI
 * preview then changes only in the way the user asked for).
 */
export function sampleAugmentation(options: AugmentOptions, random: Random, width: number, height: number): AugmentParams {
  const rotation = symmetric(random, options.rotation ?? 0)
  const shiftX = symmetric(random, options.widthShift ?? 0) * width
  const shiftY = symmetric(random, options.heightShift ?? 0) * height
  // One scale for both axes keeps proportions (Keras' ImageDataGenerator draws two and squashes).
  const zoom = 1 + symmetric(random, options.zoom ?? 0)
  const flip = random() < 0.5 && options.horizontalFlip === true
  const brightness = 1 + symmetric(random, options.brightness ?? 0)
  return { rotation, shiftX, shiftY, zoom, flip, brightness }
}

/** Draws and applies one augmentation; `out` (same length as the image) is reused when given. */
export function augment(image: RawPixels, options: AugmentOptions, random: Random, out?: Uint8Array): Uint8Array {
  return applyAugmentation(image, sampleAugmentation(options, random, image.width, image.height), out)
}

/**
 * Applies `params` into `out` (allocated when absent; must not be the source). Geometry is one
 * inverse affine map per output pixel with bilinear sampling; coordinates outside the image are
 * clamped to the edge, which is Keras' default fill_mode 'nearest' (no black corners for the model
 * to learn as a cue). Brightness is folded into the same pass so each value is rounded once.
 */
export function applyAugmentation(image: RawPixels, params: AugmentParams, out?: Uint8Array): Uint8Array {
  const { data: src, width, height, channels } = image
  const length = width * height * channels
  if (src.length !== length) throw new RangeError(`the image holds ${src.length} values, not ${width}×${height}×${channels}`)
  const output = out ?? new Uint8Array(length)
  if (output.length !== length) throw new RangeError(`the output holds ${output.length} values, expected ${length}`)
  if (output === src) throw new RangeError('augmentation cannot work in place')
  const geometry = params.rotation !== 0 || params.shiftX !== 0 || params.shiftY !== 0 || params.zoom !== 1 || params.flip
  if (geometry) warp(image, params, output)
  else if (params.brightness === 1) output.set(src)
  else scaleBrightness(src, params.brightness, output)
  return output
}

function scaleBrightness(src: Uint8Array, factor: number, out: Uint8Array): void {
  for (let i = 0; i < src.length; i++) {
    const value = (src[i]! * factor + 0.5) | 0
    out[i] = value > 255 ? 255 : value
  }
}

function warp(image: RawPixels, params: AugmentParams, out: Uint8Array): void {
  const { width: w, height: h } = image
  // Output (x, y) ← source (m00·x + m01·y + t0, m10·x + m11·y + t1): the inverse of
  // "flip, then scale, rotate about the centre, then shift".
  const angle = (params.rotation * Math.PI) / 180
  const cos = Math.cos(angle) / params.zoom
  const sin = Math.sin(angle) / params.zoom
  const f = params.flip ? -1 : 1
  const cx = (w - 1) / 2
  const cy = (h - 1) / 2
  const dx = -cx - params.shiftX
  const dy = -cy - params.shiftY
  const map: AffineMap = {
    m00: f * cos,
    m01: -f * sin,
    m10: sin,
    m11: cos,
    t0: cx + f * (cos * dx - sin * dy),
    t1: cy + (sin * dx + cos * dy)
  }
  // One loop per channel count, unrolled: a loop over channels inside the pixel loop made the
  // 3-channel case three times slower in V8.
  if (image.channels === 3) warpRgb(image.data, w, h, map, params.brightness, out)
  else warpGrey(image.data, w, h, map, params.brightness, out)
}

interface AffineMap {
  m00: number
  m01: number
  m10: number
  m11: number
  t0: number
  t1: number
}

// Both warps: clamp the source point to the image (fill 'nearest'), split it into a whole-pixel
// corner and a fraction (| 0 floors, both being ≥ 0), blend the four neighbours with the
// brightness folded into the weights, round once, and clip at 255 (values are never negative).

function warpRgb(src: Uint8Array, w: number, h: number, map: AffineMap, factor: number, out: Uint8Array): void {
  const { m00, m01, m10, m11, t0, t1 } = map
  const maxX = w - 1
  const maxY = h - 1
  const row = w * 3
  let o = 0
  for (let y = 0; y < h; y++) {
    let sx = m01 * y + t0
    let sy = m11 * y + t1
    for (let x = 0; x < w; x++, sx += m00, sy += m10, o += 3) {
      const px = sx < 0 ? 0 : sx > maxX ? maxX : sx
      const py = sy < 0 ? 0 : sy > maxY ? maxY : sy
      const x0 = px | 0
      const y0 = py | 0
      const fx = px - x0
      const fy = py - y0
      const i00 = y0 * row + x0 * 3
      const i01 = x0 < maxX ? i00 + 3 : i00
      const i10 = y0 < maxY ? i00 + row : i00
      const i11 = x0 < maxX ? i10 + 3 : i10
      const a = (1 - fx) * (1 - fy) * factor
      const b = fx * (1 - fy) * factor
      const c = (1 - fx) * fy * factor
      const d = fx * fy * factor
      let v = (src[i00]! * a + src[i01]! * b + src[i10]! * c + src[i11]! * d + 0.5) | 0
      out[o] = v > 255 ? 255 : v
      v = (src[i00 + 1]! * a + src[i01 + 1]! * b + src[i10 + 1]! * c + src[i11 + 1]! * d + 0.5) | 0
      out[o + 1] = v > 255 ? 255 : v
      v = (src[i00 + 2]! * a + src[i01 + 2]! * b + src[i10 + 2]! * c + src[i11 + 2]! * d + 0.5) | 0
      out[o + 2] = v > 255 ? 255 : v
    }
  }
}

function warpGrey(src: Uint8Array, w: number, h: number, map: AffineMap, factor: number, out: Uint8Array): void {
  const { m00, m01, m10, m11, t0, t1 } = map
  const maxX = w - 1
  const maxY = h - 1
  let o = 0
  for (let y = 0; y < h; y++) {
    let sx = m01 * y + t0
    let sy = m11 * y + t1
    for (let x = 0; x < w; x++, sx += m00, sy += m10, o++) {
      const px = sx < 0 ? 0 : sx > maxX ? maxX : sx
      const py = sy < 0 ? 0 : sy > maxY ? maxY : sy
      const x0 = px | 0
      const y0 = py | 0
      const fx = px - x0
      const fy = py - y0
      const i00 = y0 * w + x0
      const i01 = x0 < maxX ? i00 + 1 : i00
      const i10 = y0 < maxY ? i00 + w : i00
      const i11 = x0 < maxX ? i10 + 1 : i10
      const top = src[i00]! + (src[i01]! - src[i00]!) * fx
      const bottom = src[i10]! + (src[i11]! - src[i10]!) * fx
      const v = ((top + (bottom - top) * fy) * factor + 0.5) | 0
      out[o] = v > 255 ? 255 : v
    }
  }
}
