import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DEFAULT_AUGMENTATION } from '../../../../src-main/training/data/augment'
import { augmentedPreview } from '../../../../src-main/training/data/preview'
import { useTempDir } from '../../../helpers/temp-dir'
import { writeRawPng } from './fixtures'

const tempDir = useTempDir()

describe('augmentedPreview', () => {
  it('returns count PNGs at display size in the model’s proportions and colour mode', async () => {
    const data = Uint8Array.from({ length: 60 * 40 * 3 }, (_, index) => (index * 7) % 256)
    const path = await writeRawPng(tempDir(), 'photo.png', data, 60, 40, 3)
    const options = { width: 64, height: 32, channels: 3 as const, augment: DEFAULT_AUGMENTATION, displaySize: 128 }
    const previews = await augmentedPreview({ path }, options, 4, 9)
    expect(previews).toHaveLength(4)
    for (const png of previews) {
      const metadata = await sharp(png).metadata()
      expect(metadata).toMatchObject({ format: 'png', width: 128, height: 64, channels: 3 })
    }
    // Different augmentations, repeatable by seed.
    expect(new Set(previews.map((png) => png.toString('base64'))).size).toBe(4)
    expect(await augmentedPreview({ path }, options, 4, 9)).toEqual(previews)

    const grey = await augmentedPreview({ path }, { ...options, channels: 1, displaySize: 50 }, 2, 1)
    expect(grey).toHaveLength(2)
    expect(await sharp(grey[0]).metadata()).toMatchObject({ width: 50, height: 25, channels: 1 })
  })

  it('shows the unchanged image when augmentation is off, and answers nothing for count 0', async () => {
    const data = Uint8Array.from({ length: 16 * 16 }, (_, index) => index % 256)
    const path = await writeRawPng(tempDir(), 'grey.png', data, 16, 16, 1)
    const [png] = await augmentedPreview({ path }, { width: 16, height: 16, channels: 1, augment: {}, displaySize: 16 }, 1, 0)
    const { data: decoded } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
    expect(new Uint8Array(decoded)).toEqual(data)
    expect(await augmentedPreview({ path }, { width: 16, height: 16, channels: 1, augment: {} }, 0, 0)).toEqual([])
  })
})
