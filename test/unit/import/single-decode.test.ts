import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { analyseImage, THUMBNAIL_SIZE } from '../../../src-main/import/image-analysis'
import { differenceHash, type RawImage } from '../../../src-main/import/perceptual-hash'
import { missingShared, SHARED_MODELS_DIR } from '../../helpers/shared-assets'

// The import decodes each file once, at thumbnail size, and takes both the perceptual hash and the
// WebP thumbnail from those pixels. The hashes are stored in every project (split leakage checks
// compare them across imports), so they must not drift: they are pinned here for known images, and
// compared with a decode made separately for each output, the way a plain sharp script would.

const PHOTOS = join(SHARED_MODELS_DIR, 'test_images')
const photo = (name: string) => ({ [name]: join(PHOTOS, name) })

/** The hashes Pictor has stored for these files since the dHash was introduced. */
const PINNED: Record<string, string> = {
  'parrot.jpg': '1d3139d1f1e3d7b2',
  'hot_dog.jpg': '1f1f1d251f270705',
  'owl.jpg': '0f470f4f0b0b0f87',
  'pattern-1200x900.png': '00089429946b946b',
  'pattern-rotated.jpg': 'fe9cfff7ff9cfff7'
}

/** A lossless picture with large-scale structure, so its hash does not hang on encoder details. */
async function patternPng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3
      const wave = Math.sin(x / 53) * Math.cos(y / 37)
      pixels[offset] = Math.round(128 + 100 * wave)
      pixels[offset + 1] = Math.round((255 * y) / height)
      pixels[offset + 2] = Math.round((255 * x) / width)
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer()
}

/** The same pattern as a JPEG stored sideways with EXIF orientation 6 (shown upright). */
async function rotatedJpeg(): Promise<Buffer> {
  return sharp(await patternPng(600, 400)).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer()
}

async function generated(name: string): Promise<Buffer> {
  return name === 'pattern-1200x900.png' ? patternPng(1200, 900) : rotatedJpeg()
}

/** Two decodes, one per output, exactly as the import's pipeline is written. */
async function separately(buffer: Buffer) {
  const resized = () => sharp(buffer).rotate().resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
  const { data, info } = await resized().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  const pixels: RawImage = { data, width: info.width, height: info.height, channels: info.channels as RawImage['channels'] }
  const thumbnail = await resized().webp({ quality: 80, effort: 2 }).toBuffer()
  return { phash: differenceHash(pixels), thumbnail }
}

async function rgb(webp: Buffer) {
  const { data, info } = await sharp(webp).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

async function checkImage(name: string, buffer: Buffer): Promise<void> {
  const analysis = await analyseImage(buffer)
  expect(analysis.phash, name).toBe(PINNED[name])
  const reference = await separately(buffer)
  expect(analysis.phash, `${name}: one decode and two decodes give the same hash`).toBe(reference.phash)

  const ours = await rgb(analysis.thumbnail)
  const theirs = await rgb(reference.thumbnail)
  expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height])
  expect(Math.max(ours.width, ours.height)).toBeLessThanOrEqual(THUMBNAIL_SIZE)
  // Both are lossy WebP of the same pixels: equivalent, not byte-identical.
  let difference = 0
  for (let i = 0; i < ours.data.length; i++) difference += Math.abs(ours.data[i]! - theirs.data[i]!)
  expect(difference / ours.data.length, `${name}: mean channel difference`).toBeLessThan(1.5)
}

describe('single-decode analysis', () => {
  for (const name of ['parrot.jpg', 'hot_dog.jpg', 'owl.jpg']) {
    it.skipIf(missingShared(photo(name)))(`${name}: pinned hash, same hash and an equivalent thumbnail as a decode per output`, async () => {
      await checkImage(name, readFileSync(join(PHOTOS, name)))
    })
  }

  for (const name of ['pattern-1200x900.png', 'pattern-rotated.jpg']) {
    it(`${name}: pinned hash, same hash and an equivalent thumbnail as a decode per output`, async () => {
      await checkImage(name, await generated(name))
    })
  }

  it('the displayed size is the oriented full size, not the decoded thumbnail size', async () => {
    const analysis = await analyseImage(await rotatedJpeg())
    expect([analysis.width, analysis.height]).toEqual([400, 600])
    const { width, height } = await sharp(analysis.thumbnail).metadata()
    expect([width, height]).toEqual([171, 256])
  })
})
