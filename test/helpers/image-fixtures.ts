import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { deflateSync } from 'node:zlib'
import sharp, { type Sharp } from 'sharp'

// Real files for import tests: every good format encoded by sharp, every bad kind written byte by
// byte. Each writer takes the folder and a '/'-separated relative path, creates the parent folders
// and returns the absolute path it wrote.

export type RasterFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'

export interface PatternOptions {
  width?: number
  height?: number
  /** Different seeds give visibly different pictures (and far-apart perceptual hashes). */
  seed?: number
}

/** Creates the parent folders of `relPath` under `folder` and returns the absolute path. */
export function fixturePath(folder: string, relPath: string): string {
  const path = join(folder, ...relPath.split('/'))
  mkdirSync(dirname(path), { recursive: true })
  return path
}

/** A deterministic picture: a grid of coloured 8×8-pixel blocks picked by a small LCG from `seed`. */
export function patternPixels({ width = 64, height = 48, seed = 1 }: PatternOptions = {}): Buffer {
  const data = Buffer.alloc(width * height * 3)
  const blocksAcross = Math.ceil(width / 8)
  const colours: number[][] = []
  let state = (seed * 2654435761) >>> 0
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state >>> 24
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = Math.floor(y / 8) * blocksAcross + Math.floor(x / 8)
      while (colours.length <= block) colours.push([next(), next(), next()])
      data.set(colours[block]!, (y * width + x) * 3)
    }
  }
  return data
}

function encoder(image: Sharp, format: RasterFormat, quality = 90): Sharp {
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality })
    case 'png':
      return image.png()
    case 'webp':
      return image.webp({ quality })
    case 'gif':
      return image.gif()
    case 'tiff':
      return image.tiff()
    case 'avif':
      return image.avif({ quality, effort: 0 })
  }
}

/** The pattern picture encoded in `format`. */
export function encodePattern(format: RasterFormat, options: PatternOptions & { quality?: number } = {}): Promise<Buffer> {
  const { width = 64, height = 48 } = options
  return encoder(sharp(patternPixels(options), { raw: { width, height, channels: 3 } }), format, options.quality).toBuffer()
}

/** One flat colour, e.g. for checking which pixels a thumbnail holds. */
export function encodeSolid(format: RasterFormat, width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  return encoder(image, format).toBuffer()
}

export async function writeImage(folder: string, relPath: string, format: RasterFormat = 'jpeg', options: PatternOptions = {}) {
  const path = fixturePath(folder, relPath)
  writeFileSync(path, await encodePattern(format, options))
  return path
}

export function writeBytes(folder: string, relPath: string, bytes: Uint8Array | string): string {
  const path = fixturePath(folder, relPath)
  writeFileSync(path, bytes)
  return path
}

// ---- Special good images ---------------------------------------------------------------------

/** A two-frame GIF: the first frame green, the second blue. */
export async function writeAnimatedGif(folder: string, relPath: string, width = 40, height = 30): Promise<string> {
  const frame = (rgb: number[]) => Buffer.alloc(width * height * 3).map((_, index) => rgb[index % 3]!)
  const pixels = Buffer.concat([frame([0, 200, 0]), frame([0, 0, 200])])
  const gif = await sharp(pixels, { raw: { width, height: height * 2, channels: 3, pageHeight: height } })
    .gif({ delay: [100, 100], loop: 0 })
    .toBuffer()
  return writeBytes(folder, relPath, gif)
}

/** A JPEG stored `width`×`height` whose EXIF says "rotate 90° clockwise" (orientation 6). */
export async function writeRotatedJpeg(folder: string, relPath: string, width = 40, height = 20): Promise<string> {
  const jpeg = await sharp(patternPixels({ width, height }), { raw: { width, height, channels: 3 } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer()
  return writeBytes(folder, relPath, jpeg)
}

/** A one-channel (grey) PNG. */
export async function writeGreyPng(folder: string, relPath: string): Promise<string> {
  const png = await sharp(patternPixels(), { raw: { width: 64, height: 48, channels: 3 } }).toColourspace('b-w').png().toBuffer()
  return writeBytes(folder, relPath, png)
}

/** A PNG with a half-transparent alpha channel. */
export async function writeRgbaPng(folder: string, relPath: string): Promise<string> {
  const pixels = Buffer.alloc(64 * 48 * 4).map((_, index) => (index % 4 === 3 ? 128 : index % 251))
  return writeBytes(folder, relPath, await sharp(pixels, { raw: { width: 64, height: 48, channels: 4 } }).png().toBuffer())
}

/** A CMYK JPEG of one flat colour (given in RGB). */
export async function writeCmykJpeg(folder: string, relPath: string, rgb: [number, number, number] = [200, 40, 40]) {
  const image = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  const jpeg = await image.toColourspace('cmyk').jpeg().toBuffer()
  return writeBytes(folder, relPath, jpeg)
}

/** A 16-bit-per-channel PNG of one flat colour (given in 8-bit RGB). */
export async function write16BitPng(folder: string, relPath: string, rgb: [number, number, number] = [40, 160, 220]) {
  const image = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  const png = await image.toColourspace('rgb16').png().toBuffer()
  return writeBytes(folder, relPath, png)
}

export function writeSvg(folder: string, relPath: string, body: string, width = 64, height = 64): string {
  const svg =
    `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ` +
    `xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}">${body}</svg>`
  return writeBytes(folder, relPath, svg)
}

// ---- Bad files -------------------------------------------------------------------------------

export const writeEmptyFile = (folder: string, relPath: string): string => writeBytes(folder, relPath, '')

export const writeTextFile = (folder: string, relPath: string, text = 'This is not a picture.\n'): string =>
  writeBytes(folder, relPath, text)

/** Pseudo-random pixels, which compress badly: a real image with long data. */
export function encodeNoise(format: RasterFormat, size = 256): Promise<Buffer> {
  const noise = Buffer.alloc(size * size * 3).map((_, index) => (index * 7919) % 253)
  return encoder(sharp(noise, { raw: { width: size, height: size, channels: 3 } }), format).toBuffer()
}

/** A real, noisy image cut to the first half of its bytes. */
export async function writeTruncated(folder: string, relPath: string, format: 'jpeg' | 'png'): Promise<string> {
  const whole = await encodeNoise(format)
  return writeBytes(folder, relPath, whole.subarray(0, Math.floor(whole.length / 2)))
}

/** A valid 24-bit uncompressed Windows bitmap (a format Pictor refuses). */
export function writeBmp(folder: string, relPath: string, width = 4, height = 4): string {
  const rowBytes = Math.ceil((width * 3) / 4) * 4
  const pixelBytes = rowBytes * height
  const file = Buffer.alloc(54 + pixelBytes)
  file.write('BM', 0, 'latin1')
  file.writeUInt32LE(file.length, 2)
  file.writeUInt32LE(54, 10)
  file.writeUInt32LE(40, 14)
  file.writeInt32LE(width, 18)
  file.writeInt32LE(height, 22)
  file.writeUInt16LE(1, 26)
  file.writeUInt16LE(24, 28)
  file.writeUInt32LE(pixelBytes, 34)
  file.fill(0x80, 54)
  return writeBytes(folder, relPath, file)
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/**
 * A decompression bomb: a well-formed PNG whose header claims `width`×`height` RGB pixels while its
 * whole file is a few dozen bytes (one compressed row of zeros).
 */
export function pngBombBytes(width = 50_000, height = 50_000): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1 + 3 * 16))),
    pngChunk('IEND', Buffer.alloc(0))
  ])
}

export const writePngBomb = (folder: string, relPath: string, width?: number, height?: number): string =>
  writeBytes(folder, relPath, pngBombBytes(width, height))

/** A symbolic link at `relPath` pointing at `target` (which may not exist, or be the link itself). */
export function writeSymlink(folder: string, relPath: string, target: string): string {
  const path = fixturePath(folder, relPath)
  symlinkSync(target, path)
  return path
}

/** A named pipe: reading it would block until someone writes, so an import must never open it. */
export function writeFifo(folder: string, relPath: string): string {
  const path = fixturePath(folder, relPath)
  execFileSync('mkfifo', [path])
  return path
}

/**
 * `count` small distinct JPEGs named 00000.jpg, ... in `folder`, fast: one picture encoded once by
 * sharp, each copy with its own JPEG comment segment (so its own bytes and content hash).
 */
export async function writeManyJpegs(folder: string, count: number, width = 32, height = 32): Promise<string[]> {
  mkdirSync(folder, { recursive: true })
  const base = await encodePattern('jpeg', { width, height, seed: 7 })
  const names = Array.from({ length: count }, (_, index) => `${String(index).padStart(5, '0')}.jpg`)
  names.forEach((name, index) => {
    const text = Buffer.from(`pictor test file ${index}`, 'latin1')
    const comment = Buffer.alloc(4)
    comment.writeUInt16BE(0xfffe, 0) // COM marker
    comment.writeUInt16BE(text.length + 2, 2)
    writeFileSync(join(folder, name), Buffer.concat([base.subarray(0, 2), comment, text, base.subarray(2)]))
  })
  return names
}
