import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { generateIcons, ICNS_TYPES, ICO_SIZES, LINUX_SIZES, renderIcon } from '../../../scripts/icons.js'
import { useTempDir } from '../../helpers/temp-dir'

// Every icon comes from resources/icon.svg (scripts/icons.js). Only the window icon is committed,
// because the build imports it: it must still be the SVG's rendering.
const ROOT = join(import.meta.dirname, '..', '..', '..')
const temp = useTempDir()

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height }
}

describe('icons from resources/icon.svg', () => {
  it('resources/icon.png is the SVG rendered at 256 px (rerun `node scripts/icons.js --window-icon` after editing the SVG)', async () => {
    const committed = await pixels(readFileSync(join(ROOT, 'resources', 'icon.png')))
    const rendered = await pixels(await renderIcon(join(ROOT, 'resources', 'icon.svg'), 256))
    expect([committed.width, committed.height]).toEqual([256, 256])
    let difference = 0
    for (let i = 0; i < rendered.data.length; i++) difference += Math.abs(rendered.data[i]! - committed.data[i]!)
    expect(difference / rendered.data.length).toBeLessThan(1)
  })

  it('writes each platform its sizes: a PNG folder, an .ico and an .icns', async () => {
    const icons = await generateIcons(ROOT, temp())
    for (const size of LINUX_SIZES) {
      const { width, height } = await sharp(join(icons.png, `${size}x${size}.png`)).metadata()
      expect([width, height]).toEqual([size, size])
    }
    const ico = readFileSync(icons.ico)
    expect([ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([1, ICO_SIZES.length])
    for (const [index, size] of ICO_SIZES.entries()) {
      const at = 6 + 16 * index
      const png = ico.subarray(ico.readUInt32LE(at + 12), ico.readUInt32LE(at + 12) + ico.readUInt32LE(at + 8))
      expect((await sharp(png).metadata()).width).toBe(size)
    }
    const icns = readFileSync(icons.icns)
    expect(icns.subarray(0, 4).toString()).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    let offset = 8
    for (const [type, size] of ICNS_TYPES) {
      expect(icns.subarray(offset, offset + 4).toString()).toBe(type)
      const length = icns.readUInt32BE(offset + 4)
      expect((await sharp(icns.subarray(offset + 8, offset + length)).metadata()).width).toBe(size)
      offset += length
    }
    expect(offset).toBe(icns.length)
  })
})
