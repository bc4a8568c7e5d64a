import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { BatchExample } from '../../../../src-main/training/data/batches'

// Real image files for the data-pipeline tests, encoded by sharp from raw pixels.

/** Writes a PNG of one flat colour (3 channels) and answers its path. */
export async function writeSolidPng(dir: string, name: string, width: number, height: number, rgb: [number, number, number]): Promise<string> {
  const path = join(dir, name)
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path)
  return path
}

/** Writes raw HWC pixels (1, 3 or 4 channels) as a PNG. */
export async function writeRawPng(dir: string, name: string, data: Uint8Array, width: number, height: number, channels: 1 | 3 | 4): Promise<string> {
  const path = join(dir, name)
  let image = sharp(Buffer.from(data), { raw: { width, height, channels } })
  // Without this sharp writes one raw channel as an RGB file.
  if (channels === 1) image = image.toColourspace('b-w')
  writeFileSync(path, await image.png().toBuffer())
  return path
}

/**
 * `count` small PNGs whose flat grey level encodes their index (index % 256), spread over
 * `classes` classes round-robin; the level lets a test tell which image landed in which row.
 */
export async function writeExamples(dir: string, count: number, options: { size?: number; classes?: number } = {}): Promise<BatchExample[]> {
  const size = options.size ?? 8
  const classes = options.classes ?? 2
  // Encoded once per level: thousands of files are then just writes.
  const encoded = new Map<number, Buffer>()
  const examples: BatchExample[] = []
  for (let index = 0; index < count; index++) {
    const level = index % 256
    let png = encoded.get(level)
    if (!png) {
      png = await sharp({ create: { width: size, height: size, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer()
      encoded.set(level, png)
    }
    const path = join(dir, `img-${index}.png`)
    writeFileSync(path, png)
    examples.push({ imageId: index + 1, path, contentHash: `hash-${index}`, classIndex: index % classes })
  }
  return examples
}
