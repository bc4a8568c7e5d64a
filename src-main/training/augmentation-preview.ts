import type { Database } from 'better-sqlite3'
import { loadTrainingExamples } from '../db/queries/training-data'
import { DEFAULT_AUGMENTATION } from './data/augment'
import { augmentedPreview } from './data/preview'
import { decodeExample } from '../classifier/decode'
import sharp from 'sharp'

const SIZE = 160

/** The first training image, plain and as `count` augmented versions, as PNG data URLs for the UI. */
export async function augmentationPreview(
  db: Database,
  count: number,
  seed: number
): Promise<{ original: string; augmented: string[] } | null> {
  const example = loadTrainingExamples(db).examples[0]
  if (!example) return null
  const shape = { width: SIZE, height: SIZE, channels: 3 as const }
  const plain = await decodeExample(example.path, shape)
  const original = await sharp(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength), { raw: shape }).png().toBuffer()
  const augmented = await augmentedPreview(example, { ...shape, augment: DEFAULT_AUGMENTATION, displaySize: SIZE }, count, seed)
  const url = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`
  return { original: url(original), augmented: augmented.map(url) }
}
