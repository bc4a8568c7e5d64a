import { createServer, type Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import sharp, { type Metadata } from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { ThumbnailStore } from '../../../src-main/import/thumbnail-store'
import {
  encodeSolid,
  fixturePath,
  write16BitPng,
  writeAnimatedGif,
  writeBytes,
  writeCmykJpeg,
  writeGreyPng,
  writeImage,
  writeRgbaPng,
  writeRotatedJpeg,
  writeSvg,
  type RasterFormat
} from '../../helpers/image-fixtures'
import { imageRows, runImport, setUpImport, type ImportSetup } from '../../helpers/import-project'
import { useTempDir } from '../../helpers/temp-dir'

// Every format Pictor reads, and the awkward variants of them, end up as a row with the displayed
// size and an 8-bit sRGB WebP thumbnail of at most 256 px.

const temp = useTempDir('pictor-formats-')

const RASTERS: { format: RasterFormat; width: number; height: number }[] = [
  { format: 'jpeg', width: 72, height: 40 },
  { format: 'png', width: 50, height: 66 },
  { format: 'webp', width: 81, height: 33 },
  { format: 'gif', width: 40, height: 40 },
  { format: 'tiff', width: 90, height: 20 },
  { format: 'avif', width: 64, height: 48 }
]
const EXTENSION: Record<RasterFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif', tiff: 'tif', avif: 'avif' }

/** The stored thumbnail of an imported file: its metadata and decoded 8-bit pixels. */
async function thumbnailOf(setup: ImportSetup, relPath: string) {
  const row = imageRows(setup.projectPath).get(relPath)
  expect(row?.status, relPath).toBe('ok')
  const path = new ThumbnailStore(setup.thumbnailDir).pathFor(row!.content_hash!)!
  const metadata = await sharp(path).metadata()
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true })
  const pixels = Array.from({ length: info.width * info.height }, (_, index) => [...data.subarray(index * info.channels, index * info.channels + 3)])
  const mean = [0, 1, 2].map((channel) => pixels.reduce((sum, pixel) => sum + pixel[channel]!, 0) / pixels.length)
  return { row: row!, metadata, pixels, mean }
}

function expectNormalThumbnail(metadata: Metadata): void {
  expect(metadata).toMatchObject({ format: 'webp', space: 'srgb', depth: 'uchar' })
  expect(Math.max(metadata.width, metadata.height)).toBeLessThanOrEqual(256)
  expect(metadata.pages ?? 1).toBe(1)
}

const near = (actual: number[], expected: number[], tolerance: number) =>
  actual.every((value, index) => Math.abs(value - expected[index]!) <= tolerance)

describe('formats', () => {
  it('imports JPEG, PNG, WebP, GIF, TIFF, AVIF and SVG with their size, format and a thumbnail', async () => {
    const setup = setUpImport(temp())
    for (const [seed, { format, width, height }] of RASTERS.entries()) {
      await writeImage(setup.folder, `image.${EXTENSION[format]}`, format, { width, height, seed: seed + 1 })
    }
    writeSvg(setup.folder, 'drawing.svg', '<circle cx="60" cy="45" r="40" fill="#27ae60"/>', 120, 90)
    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 7, failed: 0 })

    const rows = imageRows(setup.projectPath)
    for (const { format, width, height } of RASTERS) {
      const row = rows.get(`image.${EXTENSION[format]}`)!
      expect(row, format).toMatchObject({ status: 'ok', width, height })
      // AVIF's format name is checked (and found wrong) by its own test below.
      if (format !== 'avif') expect(row.format).toBe(format)
    }
    expect(rows.get('drawing.svg')).toMatchObject({ status: 'ok', width: 120, height: 90, format: 'svg' })
    for (const relPath of rows.keys()) expectNormalThumbnail((await thumbnailOf(setup, relPath)).metadata)
    expect((await thumbnailOf(setup, 'drawing.svg')).metadata).toMatchObject({ width: 120, height: 90 })
  })

  // Regression test for a fixed bug (image-analysis.ts): the stored format comes from sharp's metadata().format, which is 'heif'
  // for every HEIF container, so an .avif file is listed as HEIF (the codec is in `compression`).
  it('stores an AVIF file with format "avif"', async () => {
    const setup = setUpImport(temp())
    await writeImage(setup.folder, 'photo.avif', 'avif')
    await runImport(setup)
    expect(imageRows(setup.projectPath).get('photo.avif')?.format).toBe('avif')
  })

  it('reads only the first frame of an animated GIF and makes a single-frame thumbnail of it', async () => {
    const setup = setUpImport(temp())
    const path = await writeAnimatedGif(setup.folder, 'anim.gif', 40, 30)
    expect((await sharp(path).metadata()).pages).toBe(2)
    await runImport(setup)
    const { row, metadata, mean } = await thumbnailOf(setup, 'anim.gif')
    expect(row).toMatchObject({ width: 40, height: 30, format: 'gif' })
    expectNormalThumbnail(metadata)
    expect(metadata).toMatchObject({ width: 40, height: 30 })
    expect(near(mean, [0, 200, 0], 30), `first frame is green, got ${mean}`).toBe(true)
  })

  it('applies EXIF orientation 6: a 40×20 JPEG is stored, and thumbnailed, as 20×40', async () => {
    const setup = setUpImport(temp())
    const path = await writeRotatedJpeg(setup.folder, 'rotated.jpg', 40, 20)
    expect(await sharp(path).metadata()).toMatchObject({ width: 40, height: 20, orientation: 6 })
    await runImport(setup)
    const { row, metadata } = await thumbnailOf(setup, 'rotated.jpg')
    expect(row).toMatchObject({ width: 20, height: 40 })
    expect(metadata).toMatchObject({ width: 20, height: 40 })
    expect(metadata.orientation ?? 1).toBe(1)
  })

  it('turns grey, RGBA, CMYK and 16-bit images into 8-bit sRGB thumbnails with the right colours', async () => {
    const setup = setUpImport(temp())
    const grey = await writeGreyPng(setup.folder, 'grey.png')
    const rgba = await writeRgbaPng(setup.folder, 'rgba.png')
    const cmyk = await writeCmykJpeg(setup.folder, 'cmyk.jpg', [200, 40, 40])
    const deep = await write16BitPng(setup.folder, 'deep.png', [40, 160, 220])
    expect(await sharp(grey).metadata()).toMatchObject({ channels: 1 })
    expect(await sharp(rgba).metadata()).toMatchObject({ channels: 4 })
    expect(await sharp(cmyk).metadata()).toMatchObject({ space: 'cmyk' })
    expect(await sharp(deep).metadata()).toMatchObject({ depth: 'ushort' })
    await writeImage(setup.folder, 'large.png', 'png', { width: 1000, height: 500 })
    expect(await runImport(setup)).toMatchObject({ imported: 5, failed: 0 })

    for (const name of ['grey.png', 'rgba.png', 'cmyk.jpg', 'deep.png', 'large.png']) {
      expectNormalThumbnail((await thumbnailOf(setup, name)).metadata)
    }
    const greyPixels = (await thumbnailOf(setup, 'grey.png')).pixels
    expect(greyPixels.every(([r, g, b]) => Math.abs(r! - g!) <= 2 && Math.abs(g! - b!) <= 2)).toBe(true)
    expect((await thumbnailOf(setup, 'rgba.png')).metadata.hasAlpha).toBe(true)
    const cmykMean = (await thumbnailOf(setup, 'cmyk.jpg')).mean
    expect(near(cmykMean, [200, 40, 40], 30), `CMYK red, got ${cmykMean}`).toBe(true)
    const deepMean = (await thumbnailOf(setup, 'deep.png')).mean
    expect(near(deepMean, [40, 160, 220], 12), `16-bit blue, got ${deepMean}`).toBe(true)
    const large = await thumbnailOf(setup, 'large.png')
    expect(large.row).toMatchObject({ width: 1000, height: 500 })
    expect(large.metadata).toMatchObject({ width: 256, height: 128 })
  })
})

describe('SVG safety', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
    server = undefined
  })

  it('never loads what an SVG references: local files (absolute or relative) or URLs', async () => {
    const setup = setUpImport(temp())
    const red = await encodeSolid('png', 32, 32, [255, 0, 0])
    const redPath = fixturePath(setup.folder, 'refs/red.png')
    writeFileSync(redPath, red)
    const requests: string[] = []
    server = createServer((request, response) => {
      requests.push(request.url ?? '')
      response.writeHead(200, { 'content-type': 'image/png' }).end(red)
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const svgPath = writeSvg(
      setup.folder,
      'drawing.svg',
      `<rect width="64" height="64" fill="#0000ff"/>
       <image href="file://${redPath}" x="0" y="0" width="32" height="32"/>
       <image xlink:href="refs/red.png" x="32" y="0" width="32" height="32"/>
       <image href="http://127.0.0.1:${port}/red.png" x="0" y="32" width="32" height="32"/>
       <rect x="32" y="32" width="32" height="32" fill="url(http://127.0.0.1:${port}/pattern.svg#p)"/>`
    )
    const isRed = ([r, g, b]: number[]) => r! > 150 && g! < 100 && b! < 100
    // The check has teeth: rendered from its path (with a base folder), librsvg does draw the red.
    const fromPath = await sharp(svgPath).raw().toBuffer({ resolveWithObject: true })
    const pixelCount = fromPath.info.width * fromPath.info.height
    const redFromPath = Array.from({ length: pixelCount }, (_, index) =>
      isRed([...fromPath.data.subarray(index * fromPath.info.channels, index * fromPath.info.channels + 3)])
    ).filter(Boolean).length
    expect(redFromPath).toBeGreaterThan(1000)
    requests.length = 0

    const report = await runImport(setup)
    expect(report).toMatchObject({ imported: 2, failed: 0 })
    const { pixels, row } = await thumbnailOf(setup, 'drawing.svg')
    expect(row).toMatchObject({ width: 64, height: 64, format: 'svg' })
    expect(pixels.filter(isRed)).toEqual([])
    expect(pixels.filter(([r, g, b]) => b! > 200 && r! < 50 && g! < 50).length).toBeGreaterThan(0)
    expect(requests).toEqual([])
  })

  it('never pulls in local files through XInclude or external XML entities', async () => {
    const setup = setUpImport(temp())
    const fragment = fixturePath(setup.folder, 'parts/red.xml')
    writeFileSync(fragment, '<rect xmlns="http://www.w3.org/2000/svg" width="64" height="64" fill="#ff0000"/>')
    const svg = (body: string, doctype = '') =>
      `<?xml version="1.0"?>${doctype}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xi="http://www.w3.org/2001/XInclude" ` +
      `width="64" height="64"><rect width="64" height="64" fill="#0000ff"/>${body}</svg>`
    const absolute = writeBytes(setup.folder, 'absolute.svg', svg(`<xi:include href="file://${fragment}" parse="xml"/>`))
    writeBytes(setup.folder, 'relative.svg', svg('<xi:include href="parts/red.xml" parse="xml"/>'))
    writeBytes(setup.folder, 'entity.svg', svg('&red;', `<!DOCTYPE svg [<!ENTITY red SYSTEM "file://${fragment}">]>`))
    // From its path librsvg does follow the XInclude, so the red check below would notice it.
    const fromPath = await sharp(absolute).raw().toBuffer()
    expect(fromPath[0]).toBeGreaterThan(200)

    await runImport(setup)
    for (const name of ['absolute.svg', 'relative.svg']) {
      const { pixels } = await thumbnailOf(setup, name)
      expect(pixels.filter(([r, g, b]) => r! > 150 && g! < 100 && b! < 100), name).toEqual([])
    }
    // An external entity is not resolved at all: the drawing is refused as damaged, never read.
    expect(imageRows(setup.projectPath).get('entity.svg')).toMatchObject({ status: 'failed', error_code: 'CORRUPT' })
  })
})
