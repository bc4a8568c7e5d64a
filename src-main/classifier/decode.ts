import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import { DEFAULT_LIMITS } from '../import/image-analysis'

/** The model's input: every image is decoded to exactly this, whatever its own size and format. */
export interface InputShape {
  width: number
  height: number
  /** 1: greyscale, 3: sRGB. Alpha is never kept. */
  channels: 1 | 3
}

/** A decoded image: 8-bit, height × width × channels, rows top to bottom, channels interleaved. */
export interface RawPixels {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3
}

/** A file that cannot be turned into pixels; `path` names it so a run can report or skip it. */
export class DecodeError extends Error {
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown }
  ) {
    super(`cannot decode ${path} for training: ${reason}`, options)
    this.name = 'DecodeError'
  }
}

/**
 * Reads and decodes one image into `shape`. The same function must feed prediction, so a model
 * sees exactly the preprocessing it was trained on.
 */
export async function decodeExample(path: string, shape: InputShape): Promise<Uint8Array> {
  checkShape(shape) // a bad shape is the caller's bug, not the file's: not a DecodeError
  let bytes: Buffer
  try {
    // From memory, never from a path, as in the importer: an SVG then cannot pull in local files.
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'the file no longer exists' : code === 'EACCES' ? 'permission denied' : firstLine(error)
    throw new DecodeError(path, reason, { cause: error })
  }
  try {
    return await decodeBuffer(bytes, shape)
  } catch (error) {
    throw new DecodeError(path, firstLine(error), { cause: error })
  }
}

/**
 * Like decodeExample, from bytes already in memory. `maxPixels` lowers the decompression-bomb limit
 * (a server takes images from anyone); sharp refuses larger images from their header, before decoding.
 */
export async function decodeBuffer(bytes: Buffer, shape: InputShape, options: { maxPixels?: number } = {}): Promise<Uint8Array> {
  checkShape(shape)
  const { width, height } = shape
  let image = sharp(bytes, { failOn: 'error', limitInputPixels: options.maxPixels ?? DEFAULT_LIMITS.maxPixels, animated: false })
    // EXIF orientation first: a phone photo stored sideways is trained on upright, as displayed.
    .rotate()
    // Transparent areas become white, as every viewer shows them; keeping alpha would feed the
    // model a channel that prediction-time JPEGs never have.
    .flatten({ background: '#ffffff' })
    // fit 'fill' stretches to exactly width × height, like Keras' image_dataset_from_directory
    // (a plain resize) and the seed model this replaces. 'cover' would crop, and for classification
    // the object may sit near an edge; a mild aspect change is something the model learns to ignore,
    // a lost object is not. The default kernel (lanczos3) antialiases when shrinking large photos.
    .resize(width, height, { fit: 'fill' })
  // Grey, palette, CMYK and 16-bit inputs all end as 8-bit sRGB or 8-bit grey.
  image = shape.channels === 1 ? image.greyscale() : image.toColourspace('srgb')
  const { data, info } = await image.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  if (info.width !== width || info.height !== height || info.channels !== shape.channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×${shape.channels}`)
  }
  // A plain view of sharp's own allocation (never Node's shared Buffer pool), so its byteLength is
  // what the cache really holds.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** Bytes one decoded example takes. */
export function pixelCount(shape: InputShape): number {
  return shape.width * shape.height * shape.channels
}

function checkShape(shape: InputShape): void {
  const { width, height, channels } = shape
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`the input size must be positive whole pixels, got ${width}×${height}`)
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`channels must be 1 or 3, got ${String(channels)}`)
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!.slice(0, 300)
}
