import sharp from 'sharp'
import type { TrainingExample } from '../../db/queries/training-data'
import { applyAugmentation, sampleAugmentation, validateAugmentOptions, type AugmentOptions } from './augment'
import { decodeExample, type InputShape } from '../../classifier/decode'
import { createRandom, mixSeed } from './random'

export const DEFAULT_PREVIEW_SIZE = 192

export interface PreviewOptions extends InputShape {
  /** The augmentation to show (the same settings the run will use). */
  augment: AugmentOptions
  /** Longer side of each preview in pixels. Default DEFAULT_PREVIEW_SIZE. */
  displaySize?: number
}

/**
 * `count` augmented versions of one image as PNGs, for the settings screen's preview. Decoded the
 * way training decodes (stretched to the model's proportions, its colour mode) but at display size
 * rather than input size: every augmentation is defined relative to the image (fractions of its
 * size, angles, factors), so it looks the same as what the model gets, only legible when the input
 * is 32×32. Preview i draws from seed (seed, i): the same seed gives the same pictures, and turning
 * one augmentation off changes only that aspect of them (see sampleAugmentation).
 */
export async function augmentedPreview(
  example: Pick<TrainingExample, 'path'>,
  options: PreviewOptions,
  count: number,
  seed: number
): Promise<Buffer[]> {
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`count must be a whole number, got ${count}`)
  validateAugmentOptions(options.augment)
  const displaySize = options.displaySize ?? DEFAULT_PREVIEW_SIZE
  const scale = displaySize / Math.max(options.width, options.height)
  const shape: InputShape = {
    width: Math.max(1, Math.round(options.width * scale)),
    height: Math.max(1, Math.round(options.height * scale)),
    channels: options.channels
  }
  const data = await decodeExample(example.path, shape)
  const image = { data, ...shape }
  return Promise.all(
    Array.from({ length: count }, (_, index) => {
      const params = sampleAugmentation(options.augment, createRandom(mixSeed(seed, index)), shape.width, shape.height)
      const pixels = applyAugmentation(image, params)
      const raw = { width: shape.width, height: shape.height, channels: shape.channels }
      let png = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw })
      // sharp widens one raw channel to RGB on output unless told the image is grey.
      if (shape.channels === 1) png = png.toColourspace('b-w')
      return png.png({ compressionLevel: 6 }).toBuffer()
    })
  )
}
