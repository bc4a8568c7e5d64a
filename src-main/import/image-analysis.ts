import sharp from 'sharp'
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
 * library needs from a single decode at thumbnail size. JPEG and WebP decoders shrink on load, so
 * a 12-megapixel photo is never decoded at full size.
 */
export async function analyseImage(buffer: Buffer, limits: AnalysisLimits = DEFAULT_LIMITS): Promise<ImageAnalysis> {
  const kind = sniff(buffer.subarray(0, 512))
  if (kind === null) throw new FileError('NOT_AN_IMAGE', 'the content is not an image format Pictor knows')
  if (kind === 'bmp') throw new FileError('UNSUPPORTED_FORMAT', 'BMP images cannot be decoded; convert them to PNG')

  let pixels: RawImage
  try {
    const { data, info } = await sharp(buffer, { failOn: 'error', limitInputPixels: limits.maxPixels, animated: false })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      // Grey, CMYK, 16-bit and palette images all come out as 8-bit sRGB (plus alpha if any).
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    pixels = { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] }
  } catch (error) {
    const message = shortMessage(error)
    if (/pixel limit/i.test(message)) throw await tooManyPixels(buffer, limits)
    throw new FileError('CORRUPT', `the ${kind.toUpperCase()} data is damaged or truncated: ${message}`)
  }

  const thumbnail = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
    .webp({ quality: 80, effort: 2 })
    .toBuffer()
  const { width, height } = await displayedSize(buffer, pixels)
  return { width, height, format: kind, thumbnail, phash: differenceHash(pixels) }
}

/**
 * The image's own size. When the thumbnail did not reach THUMBNAIL_SIZE on either side the image
 * was not shrunk, so the decoded size is the size; only larger images need their header read.
 */
async function displayedSize(buffer: Buffer, pixels: RawImage): Promise<{ width: number; height: number }> {
  if (pixels.width < THUMBNAIL_SIZE && pixels.height < THUMBNAIL_SIZE) return { width: pixels.width, height: pixels.height }
  const metadata = await sharp(buffer, { limitInputPixels: false }).metadata()
  return {
    width: metadata.autoOrient?.width ?? metadata.width ?? pixels.width,
    height: metadata.autoOrient?.height ?? metadata.height ?? pixels.height
  }
}

/** The refusal of a decompression bomb, with its size read from the header (no decoding). */
async function tooManyPixels(buffer: Buffer, limits: AnalysisLimits): Promise<FileError> {
  const metadata = await sharp(buffer, { limitInputPixels: false }).metadata().catch(() => null)
  const limit = `the ${limits.maxPixels / 1e6} megapixel limit`
  if (!metadata?.width || !metadata.height) return new FileError('TOO_MANY_PIXELS', `the image is over ${limit}`)
  const megapixels = ((metadata.width * metadata.height) / 1e6).toFixed(0)
  return new FileError('TOO_MANY_PIXELS', `${metadata.width}×${metadata.height} is ${megapixels} megapixels, over ${limit}`)
}

function shortMessage(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 200)
}
