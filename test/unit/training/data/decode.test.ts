import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DecodeError, decodeExample } from '../../../../src-main/classifier/decode'
import { useTempDir } from '../../../helpers/temp-dir'
import { writeRawPng, writeSolidPng } from './fixtures'

const tempDir = useTempDir()

/** The pixel at (x, y) of an HWC image. */
const at = (data: Uint8Array, width: number, channels: number, x: number, y: number) =>
  Array.from(data.subarray((y * width + x) * channels, (y * width + x + 1) * channels))

describe('decodeExample', () => {
  it('resizes any input to exactly the requested size, stretching rather than cropping', async () => {
    const path = await writeSolidPng(tempDir(), 'wide.png', 120, 30, [10, 200, 30])
    for (const [width, height] of [[32, 32], [224, 224], [17, 5], [5, 40]] as const) {
      const data = await decodeExample(path, { width, height, channels: 3 })
      expect(data).toBeInstanceOf(Uint8Array)
      expect(data.length).toBe(width * height * 3)
      // Flat colour survives a fill resize exactly: nothing was padded or cropped in.
      expect(at(data, width, 3, 0, 0)).toEqual([10, 200, 30])
      expect(at(data, width, 3, width - 1, height - 1)).toEqual([10, 200, 30])
    }
  })

  it('gives one grey channel for channels 1 and three equal channels from a grey file for channels 3', async () => {
    const colour = await writeSolidPng(tempDir(), 'colour.png', 20, 20, [255, 0, 0])
    const grey = await decodeExample(colour, { width: 10, height: 10, channels: 1 })
    expect(grey.length).toBe(100)
    // Pure red as luminance: well inside (0, 255), not a single channel copied.
    expect(grey[0]).toBeGreaterThan(40)
    expect(grey[0]).toBeLessThan(140)
    expect(new Set(grey).size).toBe(1)

    const levels = Uint8Array.from({ length: 16 * 16 }, (_, index) => index % 256)
    const greyFile = await writeRawPng(tempDir(), 'grey.png', levels, 16, 16, 1)
    const rgb = await decodeExample(greyFile, { width: 16, height: 16, channels: 3 })
    expect(rgb.length).toBe(16 * 16 * 3)
    for (let pixel = 0; pixel < 256; pixel++) {
      expect(at(rgb, 16, 3, pixel % 16, Math.floor(pixel / 16))).toEqual([pixel, pixel, pixel])
    }
  })

  it('applies the EXIF orientation before resizing', async () => {
    // Stored 40×20: left half red, right half blue; orientation 6 shows it turned 90° clockwise,
    // i.e. 20×40 with red on top.
    const stored = new Uint8Array(40 * 20 * 3)
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) stored.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3)
    const path = join(tempDir(), 'rotated.jpg')
    writeFileSync(path, await sharp(stored, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer())
    const data = await decodeExample(path, { width: 20, height: 40, channels: 3 })
    const [topR, , topB] = at(data, 20, 3, 10, 5)
    const [bottomR, , bottomB] = at(data, 20, 3, 10, 34)
    expect(topR).toBeGreaterThan(200)
    expect(topB).toBeLessThan(50)
    expect(bottomB).toBeGreaterThan(200)
    expect(bottomR).toBeLessThan(50)
  })

  it('flattens transparency onto white and never returns alpha', async () => {
    // Left half fully transparent black, right half opaque red.
    const rgba = new Uint8Array(20 * 10 * 4)
    for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) rgba.set(x < 10 ? [0, 0, 0, 0] : [255, 0, 0, 255], (y * 20 + x) * 4)
    const path = await writeRawPng(tempDir(), 'alpha.png', rgba, 20, 10, 4)
    const data = await decodeExample(path, { width: 20, height: 10, channels: 3 })
    expect(data.length).toBe(20 * 10 * 3)
    expect(at(data, 20, 3, 2, 5)).toEqual([255, 255, 255])
    expect(at(data, 20, 3, 17, 5)).toEqual([255, 0, 0])
    const grey = await decodeExample(path, { width: 20, height: 10, channels: 1 })
    expect(grey.length).toBe(200)
    expect(grey[5 * 20 + 2]).toBe(255)
  })

  it('turns a 16-bit file into 8-bit values', async () => {
    const path = join(tempDir(), 'deep.png')
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40, g: 160, b: 220 } } }).toColourspace('rgb16').png().toFile(path)
    const data = await decodeExample(path, { width: 4, height: 4, channels: 3 })
    at(data, 4, 3, 1, 1).forEach((value, index) => expect(Math.abs(value - [40, 160, 220][index]!)).toBeLessThanOrEqual(1))
  })

  it('names the file in a DecodeError for missing and non-image files', async () => {
    const missing = join(tempDir(), 'gone.jpg')
    const error = await decodeExample(missing, { width: 8, height: 8, channels: 3 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DecodeError)
    expect((error as DecodeError).path).toBe(missing)
    expect((error as Error).message).toContain(missing)
    expect((error as Error).message).toContain('no longer exists')

    const text = join(tempDir(), 'notes.jpg')
    writeFileSync(text, 'not a picture')
    await expect(decodeExample(text, { width: 8, height: 8, channels: 3 })).rejects.toThrow(new RegExp(`cannot decode .*notes\\.jpg`))
  })

  it('refuses a bad shape as the caller’s error, not the file’s', async () => {
    const path = await writeSolidPng(tempDir(), 'ok.png', 4, 4, [1, 2, 3])
    await expect(decodeExample(path, { width: 0, height: 4, channels: 3 })).rejects.toThrow(RangeError)
    await expect(decodeExample(path, { width: 4, height: 4, channels: 4 as 3 })).rejects.toThrow(RangeError)
  })
})
