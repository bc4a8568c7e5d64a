import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { confusionMatrixImage, escapeSvg, imageGrid, shorten } from '../../../src-main/tensorboard/run-images'
import { useTempDir } from '../../helpers/temp-dir'

const tempDir = useTempDir('pictor-tb-images-')

async function decode(png: Uint8Array) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data, info }
}

describe('SVG text', () => {
  it('escapes what would break the markup, and shortens with an ellipsis', () => {
    expect(escapeSvg(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;')
    expect(shorten('golden retriever', 9)).toBe('gold…ever')
    expect(shorten('golden retriever', 10)).toBe('golde…ever')
    expect(shorten('cat', 8)).toBe('cat')
    expect(shorten('🐱🐶🐭🐹', 3)).toBe('🐱…🐹')
  })
})

describe('confusionMatrixImage', () => {
  it('is a PNG whose cells are darker where the row share is larger', async () => {
    const labels = ['cat', 'dog', 'bird & <fish>']
    const confusion = [
      [9, 1, 0],
      [2, 8, 0],
      [0, 0, 10]
    ]
    const image = await confusionMatrixImage(labels, confusion)
    const { data, info } = await decode(image.png)
    expect([info.width, info.height]).toEqual([image.width, image.height])
    expect(Buffer.from(image.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a')

    // The grid is bottom-right, 16 px from the right and bottom edges; find a cell's colour by
    // sampling near its corner, where no count is written.
    const n = labels.length
    const cell = Math.max(18, Math.min(56, Math.floor(900 / n)))
    const gridLeft = info.width - 16 - n * cell
    const gridTop = info.height - 16 - n * cell
    const brightness = (row: number, column: number) => {
      const x = gridLeft + column * cell + 3
      const y = gridTop + row * cell + 3
      const at = (y * info.width + x) * info.channels
      return data[at]! + data[at + 1]! + data[at + 2]!
    }
    expect(brightness(0, 0)).toBeLessThan(brightness(0, 1)) // 9 of 10 darker than 1 of 10
    expect(brightness(0, 1)).toBeLessThan(brightness(0, 2)) // 1 of 10 darker than 0
    expect(brightness(2, 2)).toBeLessThan(brightness(1, 1)) // 10 of 10 darker than 8 of 10
    expect(brightness(1, 2)).toBe(765) // a zero cell is white
  })

  it('stays within a readable size at 50 classes with long names', async () => {
    const labels = Array.from({ length: 50 }, (_, i) => `a rather long class name number ${i}`)
    const confusion = labels.map((_, row) => labels.map((__, column) => (row === column ? 20 : (row + column) % 3)))
    const image = await confusionMatrixImage(labels, confusion)
    expect(image.width).toBeLessThan(1300)
    expect(image.height).toBeLessThan(1300)
    expect(image.width).toBeGreaterThan(50 * 18)
    const { info } = await decode(image.png)
    expect(info.width).toBe(image.width)
  })

  it('draws an empty matrix and rows with no examples without failing', async () => {
    expect((await confusionMatrixImage([], [])).width).toBeGreaterThan(0)
    const image = await confusionMatrixImage(['a', 'b'], [[0, 0], [1, 1]])
    expect(image.height).toBeGreaterThan(0)
  })
})

describe('imageGrid', () => {
  it('tiles a real image and an unreadable one without throwing', async () => {
    const photo = join(tempDir(), 'cat.jpg')
    await sharp({ create: { width: 200, height: 120, channels: 3, background: { r: 0, g: 160, b: 0 } } })
      .jpeg()
      .toFile(photo)
    const image = await imageGrid(
      [
        { path: photo, caption: 'cat → dog 0.93' },
        { path: join(tempDir(), 'missing.jpg'), caption: 'dog → <cat> & 0.51' }
      ],
      { tile: 64 }
    )
    const { data, info } = await decode(image.png)
    // Two columns (ceil(sqrt(2))) of 64 px tiles, one row with a caption under it.
    expect(info.width).toBeGreaterThanOrEqual(2 * 64)
    expect(info.width).toBeLessThan(2 * 64 + 40)
    expect(info.height).toBeGreaterThan(64)
    expect(info.height).toBeLessThan(64 + 60)
    const pixel = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3))
    const [r, g, b] = pixel(4 + 10, 4 + 10) // inside the first tile: the green photo
    expect(g).toBeGreaterThan(120)
    expect(r! + b!).toBeLessThan(80)
    const grey = pixel(info.width - 4 - 60, 4 + 4) // corner of the second tile: grey placeholder
    expect(Math.max(...grey) - Math.min(...grey)).toBeLessThan(8)
    expect(grey[0]).toBeGreaterThan(150)
    expect(grey[0]).toBeLessThan(220)
  })

  it('honours columns and tile size', async () => {
    const tiles = Array.from({ length: 5 }, (_, i) => ({ path: `/nonexistent/${i}.png`, caption: `${i}` }))
    const wide = await imageGrid(tiles, { tile: 32, columns: 5 })
    const tall = await imageGrid(tiles, { tile: 32, columns: 1 })
    expect(wide.width).toBeGreaterThan(5 * 32)
    expect(tall.height).toBeGreaterThan(5 * 32)
    expect(wide.height).toBeLessThan(tall.height)
  })

  it('says so when there is nothing to show', async () => {
    const image = await imageGrid([])
    const { info } = await decode(image.png)
    expect(info.width).toBe(image.width)
    expect(image.width).toBeGreaterThan(100)
  })
})
