import sharp, { type Metadata } from 'sharp'
import { FileError } from './file-errors'
import { sniff } from './image-kinds'
import { differenceHash, type RawImage } from './perceptual-hash'

export const THUMBNAIL_SIZE = 256

export interface AnalysisLimits {
  /** Decompression-bomb guard: images with more pixels than this are refused before decoding. */
  maxPixels: number
}

export const DEFAULT_LIMITS: AnalysisLimits = { maxPixels: 200_000_000 }

export interface ImageAnalysis {
  /** As displayed, i.e. after the EXIF orientation is applied. */
  width: number
  height: number
  format: string
  /** WebP, at most THUMBNAIL_SIZE on its longer side, sRGB, oriented. */
  thumbnail: Buffer
  phash: string
}

// Keep sharp's own caches out of the way: every file is decoded once and never again.
sharp.cache(false)

/**
 * Decodes one image from memory (never from a path: an SVG then has no base folder, so it cannot
 * pull in local files, and librsvg never fetches from the network) and derives everything the
 * library needs from a single decode at thumbnail size.
 */
export async function analyseImage(buffer: Buffer, limits: AnalysisLimits = DEFAULT_LIMITS): Promise<ImageAnalysis> {
  const kind = sniff(buffer.subarray(0, 512))
  if (kind === null) throw new FileError('NOT_AN_IMAGE', 'the content is not an image format Pictor knows')
  if (kind === 'bmp') throw new FileError('UNSUPPORTED_FORMAT', 'BMP images cannot be decoded; convert them to PNG')

  const image = sharp(buffer, { failOn: 'error', limitInputPixels: limits.maxPixels, animated: false })
  let metadata: Metadata
  try {
    metadata = await image.metadata()
  } catch (error) {
    throw new FileError('CORRUPT', `the ${kind.toUpperCase()} header cannot be read: ${shortMessage(error)}`)
  }
  const width = metadata.autoOrient?.width ?? metadata.width
  const height = metadata.autoOrient?.height ?? metadata.height
  if (!width || !height) throw new FileError('CORRUPT', 'the image has no size')
  if (width * height > limits.maxPixels) {
    throw new FileError(
      'TOO_MANY_PIXELS',
      `${width}×${height} is ${(width * height / 1e6).toFixed(0)} megapixels, over the ${limits.maxPixels / 1e6} megapixel limit`
    )
  }

  let pixels: RawImage
  try {
    const { data, info } = await image
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      // Grey, CMYK, 16-bit and palette images all come out as 8-bit sRGB (plus alpha if any).
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    pixels = { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] }
  } catch (error) {
    const message = shortMessage(error)
    if (/pixel limit/i.test(message)) throw new FileError('TOO_MANY_PIXELS', message)
    throw new FileError('CORRUPT', `the image data is damaged or truncated: ${message}`)
  }

  const [thumbnail, phash] = await Promise.all([
    sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
      .webp({ quality: 80, effort: 2 })
      .toBuffer(),
    differenceHash(pixels)
  ])
  return { width, height, format: metadata.format ?? kind, thumbnail, phash }
}

function shortMessage(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 200)
}
